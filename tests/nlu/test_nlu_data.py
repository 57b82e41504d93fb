"""Checks on the NLU training and held-out data (no model needed, runs in seconds).

The held-out set only measures generalisation if none of its messages is also a
training example, and every FAQ answer in the domain needs enough examples on both
sides to be learnt and measured.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# the original data (nlu*.yml) and the independent writers' files (faq_writers/)
TRAINING_FILES = sorted((ROOT / "bot" / "data").glob("nlu*.yml")) + sorted((ROOT / "bot" / "data" / "faq_writers").glob("*.yml"))
HELD_OUT = ROOT / "tests" / "nlu_test.yml"
# The frozen set (tests/nlu_frozen/) counts towards "every topic can be measured"; it is never a
# training or tuning set (scripts/eval_frozen_nlu.py runs it).
FROZEN_FILES = sorted((ROOT / "tests" / "nlu_frozen").glob("frozen_*.yml"))
FAQ_OWNED_INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope",
    "show_topics", "compare_psychoanalysis", "ask_frequency_duration", "ask_right_for_me",
]
MIN_TRAINING_EXAMPLES = 25
MIN_HELD_OUT_EXAMPLES = 10


def normalise(text: str) -> str:
    """Lower-case, punctuation-free form: "Hey!" and "hey" count as the same message."""
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def examples(path: Path) -> List[Tuple[str, str]]:
    """(label, text) pairs of an NLU YAML file; label is the full `faq/<topic>` for FAQs."""
    pairs = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], line[2:]))
    return pairs


@pytest.fixture(scope="module")
def training() -> List[Tuple[str, str]]:
    return [pair for path in TRAINING_FILES for pair in examples(path)]


@pytest.fixture(scope="module")
def held_out() -> List[Tuple[str, str]]:
    return examples(HELD_OUT)


@pytest.fixture(scope="module")
def faq_topics() -> List[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(name[len("utter_"):] for name in domain["responses"] if name.startswith("utter_faq/"))


def test_no_held_out_message_is_a_training_example(training, held_out):
    seen: Dict[str, str] = {normalise(text): label for label, text in training}
    leaked = [(text, label, seen[normalise(text)]) for label, text in held_out if normalise(text) in seen]
    assert leaked == []


def test_no_training_message_has_two_labels(training):
    labels_by_text: Dict[str, set] = {}
    for label, text in training:
        labels_by_text.setdefault(normalise(text), set()).add(label)
    conflicts = {text: sorted(labels) for text, labels in labels_by_text.items() if len(labels) > 1}
    assert conflicts == {}


def test_every_faq_answer_has_training_and_held_out_examples(training, held_out, faq_topics):
    assert faq_topics, "domain.yml has no utter_faq/<topic> responses"
    frozen = [pair for path in FROZEN_FILES for pair in examples(path)]
    train_counts, test_counts = Counter(l for l, _ in training), Counter(l for l, _ in held_out + frozen)
    for topic in faq_topics:
        assert train_counts[topic] >= MIN_TRAINING_EXAMPLES, topic
        assert test_counts[topic] >= MIN_HELD_OUT_EXAMPLES, topic


def test_every_faq_example_has_an_answer(training, held_out, faq_topics):
    used = {label for label, _ in training + held_out if label.startswith("faq/")}
    assert used <= set(faq_topics)


@pytest.mark.parametrize("intent", FAQ_OWNED_INTENTS)
def test_core_intent_has_enough_examples(training, held_out, intent):
    assert Counter(l for l, _ in training)[intent] >= MIN_TRAINING_EXAMPLES
    assert Counter(l for l, _ in held_out)[intent] >= MIN_HELD_OUT_EXAMPLES


def test_held_out_set_only_uses_intents_of_the_domain(held_out):
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {next(iter(i)) if isinstance(i, dict) else i for i in domain["intents"]}
    assert {label.split("/")[0] for label, _ in held_out} <= intents
