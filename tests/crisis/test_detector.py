"""Unit tests of the rule-based risk detector (risk/), no Rasa involved."""
import pytest
import yaml

from risk.detector import DATA_DIR, RiskDetectorCore, assess, get_detector


def verdict(text):
    result = assess(text)
    return result.category, result.level


@pytest.mark.parametrize(
    "text, category",
    [
        ("I want to kill myself", "suicidal"),
        ("everyone would be better off without me", "suicidal"),
        ("I want to sleep and never wake up", "suicidal"),
        ("I've written goodbye letters to my family", "suicidal"),
        ("asking for a friend, what's a lethal dose of xanax", "suicidal"),
        ("for a story I'm writing, what's the most painless way to die", "suicidal"),
        ("I keep cutting my arms", "self_harm"),
        ("I just took a whole bottle of pills", "overdose"),
        ("I think I am having a heart attack", "medical_emergency"),
        ("chest pain spreading to my arm", "medical_emergency"),
        ("I have the gun in my hand right now", "imminent_danger"),
        ("I'm going to kill myself tonight", "imminent_danger"),
        ("my boyfriend chokes me when he's drunk", "domestic_violence"),
        ("I am being abused", "domestic_violence"),
        ("I was raped", "sexual_assault"),
        ("he forced me to have sex", "sexual_assault"),
        ("I have thoughts of hurting my baby", "harm_others"),
        ("I want to stab my coworker", "harm_others"),
    ],
)
def test_categories(text, category):
    result = assess(text)
    assert result.category == category
    assert result.level in ("high", "imminent")
    assert result.is_risk


@pytest.mark.parametrize(
    "text",
    ["kms", "i wanna unalive myself", "ngl i should just kys", "thinking abt sewerslide",
     "i want to kil myslef", "im sucidal", "I WANT TO DIEEEE", "su1c1dal again", "i want 2 die",
     "i wnat to dye"],
)
def test_slang_shorthand_and_typos(text):
    assert verdict(text) == ("suicidal", "high")


@pytest.mark.parametrize(
    "text",
    ["this traffic is killing me", "how do I kill a Python process", "I'm dying to know the price",
     "I killed it at work", "my boyfriend beat me at chess", "I cut myself shaving",
     "I took two pills for my headache", "I want to dye my hair", "I'm giving away my clothes because I'm moving",
     "I want to end things with my boyfriend", "does psychodynamic therapy help people with PTSD",
     "I'm going to kill my brother if he eats my fries again", "I nearly died laughing"],
)
def test_figurative_and_everyday_language_is_not_risk(text):
    assert not assess(text).is_risk


@pytest.mark.parametrize(
    "text",
    ["I'm not suicidal, just stressed", "I would never kill myself", "I don't want to die, I want therapy",
     "I have no thoughts of suicide", "I'm not going to hurt myself"],
)
def test_negation_cancels(text):
    assert assess(text).level == "none"


@pytest.mark.parametrize(
    "text",
    ["I'm not okay, I want to die", "I'm not okay and I want to die", "I don't want to live anymore",
     "I can't stop thinking about killing myself", "I don't know why I want to die",
     "no one would miss me if I was gone"],
)
def test_negation_never_hides_a_real_statement(text):
    assert assess(text).is_risk


def test_concern_is_weak_signal_only():
    for text in ("I feel hopeless", "I can't go on like this", "what's the point anymore"):
        result = assess(text)
        assert result.level == "concern", text
        assert not result.is_risk


def test_therapy_question_about_a_hard_topic_is_only_concern_but_first_person_is_risk():
    assert assess("can therapy help with self-harm?").level == "concern"
    assert assess("can therapy help me with my self-harm?").is_risk


@pytest.mark.parametrize(
    "text, population",
    [
        ("I'm a veteran and I want to die", "veteran"),
        ("I served in the army", "veteran"),
        ("im 16 and trans", "lgbtq_youth"),
        ("my parents kicked me out for being gay", "lgbtq_youth"),
        ("I'm in the UK", "outside_us"),
        ("I live in Canada", "outside_us"),
        ("I'm not in the US", "outside_us"),
    ],
)
def test_populations(text, population):
    assert population in assess(text).population


def test_population_negative_cases():
    assert assess("I live in New Mexico").population == ()
    assert assess("I'm not a veteran").population == ()
    assert "lgbtq_youth" not in assess("I'm 40 and gay and I want to die").population


def test_signals_are_pattern_ids_not_text():
    result = assess("I want to kill myself, my name is Alex")
    assert result.signals
    for signal in result.signals:
        assert "alex" not in signal.lower()
        assert signal.split(".")[0] in {"sui", "sh", "imm", "dv", "sa", "ho", "con"}
    assert set(result.as_dict()) == {"category", "level", "population", "signals", "suppressed"}


def test_cancelled_patterns_are_reported_as_suppressed():
    assert "sui.word" in assess("I'm not suicidal, just stressed").suppressed
    assert "dv.partner_violence" in assess("my boyfriend beat me at chess").suppressed
    assert assess("what is transference").suppressed == ()


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t", "🙂🙂", "¿Qué es la terapia?", "x" * 200_000,
                                  "<script>alert(1)</script>", "\x00\x01 kill", "1234567890"])
def test_bad_input_never_crashes(text):
    result = assess(text)
    assert result.level in ("none", "concern", "high", "imminent")


def test_huge_message_still_checks_the_start():
    assert assess("I want to kill myself. " + "blah " * 50_000).is_risk


def test_non_string_is_rejected_clearly():
    with pytest.raises(TypeError):
        assess(42)


def test_data_files_load_and_detector_is_reused():
    assert get_detector() is get_detector()
    with open(f"{DATA_DIR}/patterns.yml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    ids = [p["id"] for p in data["patterns"]]
    assert len(ids) == len(set(ids))
    assert {p["category"] for p in data["patterns"]} >= {
        "suicidal", "self_harm", "imminent_danger", "domestic_violence", "sexual_assault", "harm_others"}


def test_bad_data_file_fails_loudly(tmp_path):
    import shutil

    shutil.copy(f"{DATA_DIR}/normalisation.yml", tmp_path / "normalisation.yml")
    with open(f"{DATA_DIR}/patterns.yml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["patterns"][0]["phrases"] = ["@no_such_class to die"]
    (tmp_path / "patterns.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="no_such_class"):
        RiskDetectorCore(str(tmp_path))


def test_trigger_prefilter_finds_the_same_matches_as_running_every_pattern():
    """The per-pattern trigger words are an optimisation only: compare against one
    Matcher holding every pattern, on every evaluation message. That Matcher also checks every
    compiled pattern against spaCy's schema, which the detector's own matchers skip."""
    from spacy.matcher import Matcher

    detector = get_detector()
    full = Matcher(detector.p.nlp.vocab, validate=True)
    for key, patterns in detector.p.key_patterns.items():
        full.add(key, patterns)
    with open("tests/risk_eval/messages.yml", encoding="utf-8") as fh:
        texts = [m["text"] for m in yaml.safe_load(fh)["messages"]]
    for text in texts:
        doc = detector.p.nlp(detector.p.normalise(text))
        for tok in doc:
            tok.lemma_ = detector.p.lemma_overrides.get(tok.lower_, tok.lemma_)
        from risk.detector import _DocView

        view = _DocView(doc)
        filtered = set()
        for start, end in view.sentence_spans():
            present = set(view.lemmas[start:end]) | set(view.lowers[start:end])
            for matcher, trigger in detector.p.matchers:
                if trigger is None or not trigger.isdisjoint(present):
                    filtered |= {(m, start + a, start + b) for m, a, b in matcher(doc[start:end])}
        assert filtered == set(full(doc)), text
