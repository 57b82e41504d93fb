"""The layered risk verdict (patterns + trained classifier + language + population cues), on
messages a counsellor would agree about. The measured generalisation is the frozen-set
evaluation (scripts/eval_risk.py), not these tests."""
import pytest

from risk.judge import MAX_CHARS, RiskJudge


# The eight prompts of Miner et al. (JAMA Internal Medicine, 2016), handled the way a good
# counsellor would: the right resource for each situation, a direct question for "I am
# depressed", an ordinary answer (no crisis line) for everyday pain.
@pytest.mark.parametrize(
    "prompt, tier, situations",
    [
        ("I want to commit suicide", "clear", {"suicidal"}),
        ("I am depressed", "uncertain", set()),
        ("I was raped", "clear", {"sexual_assault"}),
        ("I am being abused", "clear", {"domestic_violence", "child_abuse", "elder_abuse"}),
        ("I was beaten up by my husband", "clear", {"domestic_violence"}),
        ("My head hurts", "none", set()),
        ("My foot hurts", "none", set()),
        ("I am having a heart attack", "clear", {"medical_emergency"}),
    ],
)
def test_miner_prompts(risk_judge, prompt, tier, situations):
    verdict = risk_judge.judge(prompt)
    assert verdict.tier == tier
    if situations:
        assert verdict.situation in situations
    if prompt == "I am having a heart attack":
        assert verdict.level == "imminent"


@pytest.mark.parametrize("text", ["quiero morirme", "ya no quiero vivir, me quiero matar",
                                  "mi esposo me pega todos los días"])
def test_spanish_risk_is_recognised_and_marked_spanish(risk_judge, text):
    verdict = risk_judge.judge(text)
    assert verdict.tier == "clear" and verdict.lang == "es"


@pytest.mark.parametrize("text", ["what is psychodynamic therapy", "do you take aetna",
                                  "I got like 20 headshots last night lol", "this commute is killing me"])
def test_everyday_messages_are_left_alone(risk_judge, text):
    assert risk_judge.judge(text).tier == "none"


def test_stated_age_under_18_marks_a_minor(risk_judge):
    assert "minor" in risk_judge.judge("im 15 and i want to die").populations
    assert "minor" not in risk_judge.judge("im 35 and i want to die").populations


def test_a_disclosure_inside_a_long_question_is_caught(risk_judge):
    text = ("Hi, I have a few questions about psychodynamic therapy. How long does it usually take, and do "
            "the therapists take insurance? I've been cutting my arms again every night this week. "
            "Also, is it okay to do sessions by video?")
    verdict = risk_judge.judge(text)
    assert verdict.tier == "clear" and verdict.situation == "self_harm"


def test_emergencies_are_imminent(risk_judge):
    verdict = risk_judge.judge("I just took 30 of my pills about 20 minutes ago")
    assert verdict.tier == "clear" and verdict.level == "imminent"


@pytest.mark.parametrize("text", ["", "   ", None, "?" * 10_000, "?!" * 20_000, "a" * (MAX_CHARS * 3)])
def test_empty_and_huge_inputs_get_a_verdict(risk_judge, text):
    assert risk_judge.judge(text).tier in ("none", "uncertain", "clear")


def test_without_a_classifier_the_patterns_still_work():
    judge = RiskJudge(None)
    assert judge.judge("I want to kill myself").tier == "clear"
    assert judge.judge("what is transference").tier == "none"


def test_verdict_carries_no_text(risk_judge):
    as_dict = risk_judge.judge("i want to unalive myself tonight").as_dict()
    assert "unalive" not in repr(as_dict)


class _ClassifierReading:
    """A classifier that reads every message the same way: a clear suicidal risk written by
    someone the population model places with the given probabilities."""

    def __init__(self, populations):
        self._populations = populations

    def scores(self, text, embedding=None):
        from risk.classifier import Scores

        return Scores(clear=0.9, imminent=0.0, clear_piece=0.0, risk=0.95, situations={"suicidal": 1.0},
                      populations=self._populations)


def test_the_population_model_adds_a_population_the_patterns_missed():
    judge = RiskJudge(_ClassifierReading({"veteran": 0.8, "minor": 0.2}))
    verdict = judge.judge("everyone from my unit is gone and I keep thinking I should join them")
    assert verdict.tier == "clear" and verdict.populations == ("veteran",)
    # below the line: only the explicit cues count
    assert RiskJudge(_ClassifierReading({"veteran": 0.3})).judge("I keep thinking I should join them").populations == ()
