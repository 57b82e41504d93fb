"""The situation classifier's mechanics: the fast scoring path equals sklearn's, and a saved
model loads back the same."""
import numpy as np

from risk.classifier import SituationClassifier, load_examples


TEXTS = ["I want to die", "what is psychodynamic therapy", "mi esposo me pega",
         "I just took a bottle of pills. I feel dizzy. Is this bad?", "", "?" * 300]


def test_fast_scoring_equals_sklearns_transform(situation_classifier):
    reference = situation_classifier.logits(TEXTS)
    fast = situation_classifier.logits_fast(TEXTS)
    assert np.allclose(reference, fast, atol=1e-4)


def test_save_and_load_round_trip(situation_classifier, tmp_path):
    path = tmp_path / "model.pkl"
    situation_classifier.save(str(path))
    loaded = SituationClassifier.load(str(path))
    for text in TEXTS:
        a, b = situation_classifier.scores(text), loaded.scores(text)
        assert abs(a.clear - b.clear) < 1e-6 and a.situations == b.situations


def test_scores_are_probabilities(situation_classifier):
    scores = situation_classifier.scores("my boyfriend takes my phone and my paycheck")
    assert 0.0 <= scores.clear <= 1.0 and 0.0 <= scores.risk <= 1.0
    assert abs(sum(scores.situations.values()) - 1.0) < 1e-4


def test_training_is_deterministic():
    examples = load_examples()[::12]  # a small sample of every writer and tier
    a = SituationClassifier.train(examples)
    b = SituationClassifier.train(examples)
    assert np.allclose(a.logits_fast(TEXTS), b.logits_fast(TEXTS))
