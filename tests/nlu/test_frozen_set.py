"""The frozen NLU test set stays frozen and separate from the training data (tests/nlu_frozen/README.md)."""
from __future__ import annotations

import collections
import hashlib
from pathlib import Path

import yaml

from scripts.nlu_topics import read_examples

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "tests" / "nlu_frozen"
FROZEN_SHA256 = {
    "frozen_a.yml": "eff85470ba248fc6f8ccbd240eeced173c4752b0af88c3f4902ef8c6cbe6f5a6",
    "frozen_b.yml": "ea83f07c8578ed3582759942eeda3be0fce4f2daf50e665af4a8805c73a86937",
}


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def test_frozen_files_are_unchanged_since_they_were_written():
    for name, digest in FROZEN_SHA256.items():
        assert hashlib.sha256((FROZEN / name).read_bytes()).hexdigest() == digest, name


def test_at_least_25_messages_per_topic_and_30_two_question_messages():
    counts = collections.Counter(label for name in FROZEN_SHA256 for _, label in read_examples(FROZEN / name))
    assert len(counts) == 30 and min(counts.values()) >= 25, counts
    doubles = [item for name in FROZEN_SHA256
               for item in yaml.safe_load((FROZEN / name).read_text(encoding="utf-8"))["two_questions"]]
    assert len(doubles) >= 30 and all(len(set(item["labels"])) == 2 for item in doubles)


def test_every_frozen_label_is_an_intent_or_faq_topic_of_the_domain():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    for name in FROZEN_SHA256:
        for _, label in read_examples(FROZEN / name):
            if label.startswith("faq/"):
                assert f"utter_{label}" in domain["responses"], label
            else:
                assert label in intents, label


def test_messages_also_in_the_training_data_are_a_minority_and_reported_apart():
    # Short questions ("what is transference") were written by test and training writers alike;
    # scripts/eval_frozen_nlu.py reports the score without them too.
    from scripts.eval_frozen_nlu import training_texts

    seen = training_texts()
    frozen = [text for name in FROZEN_SHA256 for text, _ in read_examples(FROZEN / name)]
    overlap = sum(_normal(text) in seen for text in frozen)
    assert 0 < overlap < 0.2 * len(frozen)
