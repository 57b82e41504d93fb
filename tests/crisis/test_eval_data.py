"""The evaluation set is big enough, covers every category, and is disjoint from training data."""
import glob
import re
from collections import Counter

import yaml

from risk.constants import CATEGORIES, POPULATIONS


def _norm(text):
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _messages():
    with open("tests/risk_eval/messages.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["messages"]


def _conversations():
    with open("tests/risk_eval/conversations.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["conversations"]


def test_eval_set_size_and_coverage():
    messages = _messages()
    labels = Counter(m["label"] for m in messages)
    risk = sum(n for label, n in labels.items() if label != "none")
    assert risk >= 150 and labels["none"] >= 150
    assert sum("figurative" in m["tags"] for m in messages if m["label"] == "none") >= 60
    assert set(labels) == set(CATEGORIES) | {"none"}
    populations = {p for m in messages for p in m.get("population") or []}
    assert populations == set(POPULATIONS)
    assert len({_norm(m["text"]) for m in messages}) == len(messages)
    assert len(_conversations()) >= 10


def test_no_eval_message_is_in_training_data():
    evaluation = {_norm(m["text"]) for m in _messages()}
    evaluation |= {_norm(t) for c in _conversations() for t in c["turns"]}
    leaked = []
    for path in glob.glob("bot/data/**/*.yml", recursive=True):
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        for item in data.get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                example = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip()[2:])
                if example and _norm(example) in evaluation:
                    leaked.append((path, example))
    assert leaked == []


def test_training_data_has_enough_risk_and_trap_examples():
    with open("bot/data/nlu_risk.yml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    counts = Counter()
    for item in data["nlu"]:
        counts[item["intent"]] += len([l for l in item["examples"].splitlines() if l.strip()])
    assert counts["express_risk"] >= 120
    assert counts["out_of_scope"] >= 60
