"""The risk data sets: training files valid and large enough, the frozen test set untouched
since it was written and disjoint from every piece of training data."""
import glob
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import yaml

from risk import evaluation
from risk.classifier import TRAINING_DIR, is_dev, load_examples
from risk.constants import POPULATIONS, SITUATIONS

import pytest

# every frozen set (risk.evaluation.frozen_sets: ten so far, the first run 2026-11-28, the rest
# 2026-11-29), each run once at the end of its round
FROZEN_SETS = [Path("tests/risk_eval") / name for name in evaluation.frozen_sets()]
frozen_sets = pytest.mark.parametrize("folder", FROZEN_SETS, ids=lambda p: p.name)
# The set not yet run: nothing of it may be in any training data. The spent sets were folded into
# the training data once run (risk/data/training/spent_frozen_v*.jsonl): a new set measures next.
LIVE_SET = Path("tests/risk_eval") / evaluation.LIVE_SET


def _norm(text):
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def _frozen_messages(folder):
    with open(folder / "messages.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _frozen_conversations(folder):
    with open(folder / "conversations.json", encoding="utf-8") as fh:
        return json.load(fh)


def test_every_frozen_set_is_found_and_the_live_one_is_the_newest():
    assert len(FROZEN_SETS) >= 8 and FROZEN_SETS[0].name == "frozen"
    assert FROZEN_SETS[-1] == LIVE_SET


def test_training_data_is_valid_and_large_enough():
    examples = load_examples()
    tiers = Counter(e.tier for e in examples)
    assert tiers["clear"] + tiers["uncertain"] >= 3000 and tiers["none"] >= 3000
    labels = Counter(label for e in examples for label in e.labels)
    for situation in SITUATIONS:
        assert labels[situation] >= 40, situation
    for e in examples:
        assert e.tier in ("clear", "uncertain", "none")
        assert all(label in SITUATIONS + ("distress",) for label in e.labels)
        assert (e.tier == "none") == (not e.labels)
        assert set(e.populations) <= set(POPULATIONS)
    assert sum(e.lang == "es" for e in examples if e.tier != "none") >= 400
    assert len(glob.glob(f"{TRAINING_DIR}/*.jsonl")) >= 7  # one file per independent writer


def test_development_split_is_stable_and_about_a_fifth():
    examples = load_examples()
    dev = [e for e in examples if is_dev(e)]
    assert 0.15 < len(dev) / len(examples) < 0.25
    assert [is_dev(e) for e in examples[:50]] == [is_dev(e) for e in examples[:50]]


@frozen_sets
def test_frozen_set_is_unchanged_since_it_was_written(folder):
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256(Path(name).read_bytes()).hexdigest() == digest, name


@frozen_sets
def test_frozen_set_size_and_coverage(folder):
    messages = _frozen_messages(folder)
    tiers = Counter(m["tier"] for m in messages)
    assert len(messages) >= 600 and tiers["none"] >= 200
    assert sum(m["lang"] == "es" and m["tier"] != "none" for m in messages) >= 40
    assert {label for m in messages for label in m["labels"]} >= set(SITUATIONS)
    assert len(_frozen_conversations(folder)) >= 30


def test_no_message_of_the_live_frozen_set_is_in_any_training_data():
    folder = LIVE_SET
    frozen = {_norm(m["text"]) for m in _frozen_messages(folder)}
    frozen |= {_norm(t["user"]) for c in _frozen_conversations(folder) for t in c["turns"] if len(t["user"].split()) > 3}
    training = {_norm(e.text) for e in load_examples()}
    for path in glob.glob("bot/data/**/*.yml", recursive=True):
        data = yaml.safe_load(open(path, encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                training.add(_norm(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip()[2:])))
    assert sorted(frozen & training) == []


def test_folding_a_spent_set_again_gives_the_same_training_file():
    """scripts/fold_spent_set.py is how a spent set became training data; running it again must
    rewrite that file unchanged, not skip every row as already known."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fold_spent_set", "scripts/fold_spent_set.py")
    fold_spent_set = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fold_spent_set)
    folder = Path("tests/risk_eval/frozen_v4")
    with open(fold_spent_set.target_file(folder), encoding="utf-8") as fh:
        written = [json.loads(line) for line in fh if line.strip()]
    assert len(written) > 1000 and fold_spent_set.fold(folder) == written
