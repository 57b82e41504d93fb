"""The situation classifier's mechanics: the fast scoring path equals sklearn's, and a saved
model loads back the same."""
import copy

import numpy as np
import pytest

from risk.classifier import N_GATES, SituationClassifier, load_examples
from risk.constants import POPULATIONS


# Every 90th training example: all 41 sources, 17 situations, 4 populations and both languages
# (every 30th and 36th: this file took 37.6 CPU-s alone instead of 23.6, for the same assertions).
SAMPLE_STRIDE = 90

TEXTS = ["I want to die", "what is psychodynamic therapy", "mi esposo me pega",
         "I just took a bottle of pills. I feel dizzy. Is this bad?", "", "?" * 300,
         "ÉL ME PEGÓ  \t\n ayer, a I x", "Ñandú, ça va très bien 😭 kms"]


def test_fast_scoring_equals_sklearns_transform(situation_classifier):
    reference = situation_classifier.logits(TEXTS)
    assert np.allclose(reference, situation_classifier.logits_fast(TEXTS), atol=1e-4)
    # again, now from the per-word cache of character n-grams
    assert np.allclose(reference, situation_classifier.logits_fast(TEXTS), atol=1e-4)


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
    assert set(scores.populations) == set(POPULATIONS)
    assert all(0.0 <= p <= 1.0 for p in scores.populations.values())


def test_a_model_saved_before_the_population_models_scores_without_them(situation_classifier):
    old = copy.copy(situation_classifier)
    columns = N_GATES + len(old.situation_names)
    old.coef, old.intercept, old._fast = old.coef[:, :columns], old.intercept[:columns], None
    del old.population_names  # an older pickle has no such attribute: the class default applies
    text = "my boyfriend takes my phone and my paycheck"
    assert old.scores(text).populations == {}
    # the same arithmetic on fewer columns: equal to float32 rounding
    assert old.scores(text).situations == pytest.approx(situation_classifier.scores(text).situations, rel=1e-5)


def test_training_is_deterministic():
    examples = load_examples()[::SAMPLE_STRIDE]
    a = SituationClassifier.train(examples)
    b = SituationClassifier.train(examples)
    assert np.allclose(a.logits_fast(TEXTS), b.logits_fast(TEXTS))


@pytest.fixture(scope="module")
def embedded_sample():
    """A sample of every writer and tier, with its sentence embeddings (embedded once per module)."""
    from sentence_encoder import get_encoder

    examples = load_examples()[::SAMPLE_STRIDE]
    return examples, get_encoder().encode([e.text for e in examples])


@pytest.fixture(scope="module")
def with_embeddings(embedded_sample):
    """A small classifier trained as `rasa train` trains it: n-grams plus sentence-embedding gates."""
    from sentence_encoder import get_encoder

    examples, vectors = embedded_sample
    return SituationClassifier.train(examples, embeddings=vectors), get_encoder()


def test_embedding_while_the_ngram_models_fit_gives_the_same_model():
    """`rasa train` passes the embeddings as a function, run beside the n-gram fits."""
    from sentence_encoder import get_encoder

    examples = load_examples()[::150]
    vectors = get_encoder().encode([e.text for e in examples])
    after = SituationClassifier.train(examples, embeddings=vectors)
    beside = SituationClassifier.train(examples, embeddings=lambda: vectors)
    assert np.array_equal(after.coef, beside.coef) and np.array_equal(after.intercept, beside.intercept)
    assert np.array_equal(after.encoder_coef, beside.encoder_coef)
    assert all(np.array_equal(a, b) for a, b in zip(after.encoder_hidden + after.encoder_gates,
                                                    beside.encoder_hidden + beside.encoder_gates))


def test_sentence_embedding_is_blended_into_the_whole_message(with_embeddings):
    classifier, encoder = with_embeddings
    assert classifier.reads_embeddings
    assert classifier.encoder_coef.shape == (384, len(classifier.situation_names))
    assert classifier.encoder_hidden[0].shape[0] == 384 and classifier.encoder_gates[0].shape[1] == 3
    text = "I took all of my pills twenty minutes ago"
    alone, blended = classifier.scores(text), classifier.scores(text, encoder.encode_one(text))
    assert (alone.clear, alone.imminent, alone.risk) != (blended.clear, blended.imminent, blended.risk)
    assert alone.clear_piece == blended.clear_piece  # sentences are read by n-grams only
    assert abs(sum(blended.situations.values()) - 1.0) < 1e-4


def test_embedding_gates_compute_what_sklearn_computes(with_embeddings, embedded_sample):
    """The gates' forward pass is numpy (no sklearn call per message): the same probabilities as the
    MLP it was read from, trained again the same way."""
    from sklearn.neural_network import MLPClassifier

    from risk.classifier import ENCODER_HIDDEN

    classifier, _ = with_embeddings
    examples, vectors = embedded_sample
    targets = np.array([[e.tier == "clear", e.tier != "none", e.tier == "clear" and e.imminent] for e in examples],
                       dtype=np.int8)
    mlp = MLPClassifier(hidden_layer_sizes=(ENCODER_HIDDEN,), alpha=1e-3, early_stopping=True, max_iter=200,
                        random_state=2026).fit(vectors, targets)
    ours = 1.0 / (1.0 + np.exp(-np.array([classifier._encoder_gate_logits(v) for v in vectors[:20]])))
    np.testing.assert_allclose(ours, mlp.predict_proba(vectors[:20]), atol=1e-4)


def test_embedding_gates_survive_save_and_load(with_embeddings, tmp_path):
    classifier, encoder = with_embeddings
    classifier.save(str(tmp_path / "model.pkl"))
    loaded = SituationClassifier.load(str(tmp_path / "model.pkl"))
    vector = encoder.encode_one("my husband checks my phone and keeps my paycheck")
    a = classifier.scores("my husband checks my phone and keeps my paycheck", vector)
    b = loaded.scores("my husband checks my phone and keeps my paycheck", vector)
    assert abs(a.clear - b.clear) < 1e-6 and a.situations == b.situations


def test_a_classifier_without_embedding_gates_ignores_an_embedding(situation_classifier):
    from sentence_encoder import get_encoder

    assert not situation_classifier.reads_embeddings
    vector = get_encoder().encode_one("I want to die")
    assert situation_classifier.scores("I want to die", vector) == situation_classifier.scores("I want to die")


def test_spanish_is_judged_without_the_english_encoder(with_embeddings):
    from risk.judge import RiskJudge

    classifier, encoder = with_embeddings
    judge = RiskJudge(classifier)
    text = "ya no quiero vivir, me quiero matar"
    assert judge.judge(text, encoder.encode_one(text)) == judge.judge(text)


def test_the_nlu_component_reads_the_featurizers_embedding_and_survives_an_odd_one(with_embeddings, tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.risk_detector import RiskDetector
    from risk.judge import RiskJudge

    classifier, encoder = with_embeddings
    component = RiskDetector(RiskDetector.get_default_config(), LocalModelStorage(tmp_path), Resource("risk"),
                             classifier)
    text = "I took all of my pills twenty minutes ago"

    def verdict_with(vector):
        message = Message(data={TEXT: text})
        message.add_features(Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, "test"))
        component.process([message])
        return message.get("risk")

    scaled = encoder.encode_one(text) * 12.0  # as SentenceEncoderFeaturizer scales it
    blended = RiskJudge(classifier).judge(text, encoder.encode_one(text)).score
    alone = RiskJudge(classifier).judge(text).score
    assert abs(blended - alone) > 1e-3  # so the two checks below can tell the paths apart
    assert abs(verdict_with(scaled)["score"] - blended) < 1e-3
    odd = verdict_with(np.ones(10, dtype=np.float32))  # not the encoder's feature: n-grams alone, no error
    assert "judge_error" not in odd["signals"]
    assert abs(odd["score"] - alone) < 1e-3
