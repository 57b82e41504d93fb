"""Fold a frozen risk test set into the training data once it has been run and reported.

    .venv/bin/python scripts/fold_spent_set.py tests/risk_eval/frozen_v3

A frozen set measures once (docs/RISK.md). After its result is reported and its misses read, it no
longer measures anything, and its messages are as independent as any writer's: it becomes
risk/data/training/spent_<name>.jsonl. Messages keep their labels; conversation turns of more than
three words are labelled by what the turn expected (normal -> none, screen -> uncertain distress,
crisis -> its situations); short turns ("ok", "idk") and supportive turns carry no label of their own.
Texts already in the training data are skipped, so a test of the live set stays meaningful.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Iterator, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk.classifier import TRAINING_DIR, load_examples  # noqa: E402
from risk.language import language_of  # noqa: E402

FIELDS = ("text", "labels", "tier", "imminent", "populations", "lang")
MIN_TURN_WORDS = 4


def _message_rows(folder: Path) -> Iterator[Dict]:
    with open(folder / "messages.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                yield {key: row[key] for key in FIELDS}


def _turn_rows(folder: Path) -> Iterator[Dict]:
    conversations = json.loads((folder / "conversations.json").read_text(encoding="utf-8"))
    for conversation in conversations:
        for turn in conversation["turns"]:
            text = turn["user"]
            if len(text.split()) < MIN_TURN_WORDS or turn["expect"] == "supportive":
                continue
            lang = language_of(text) or "en"
            if turn["expect"] == "normal":
                yield {"text": text, "labels": [], "tier": "none", "imminent": False, "populations": [], "lang": lang}
            elif turn["expect"] == "screen":
                yield {"text": text, "labels": ["distress"], "tier": "uncertain", "imminent": False,
                       "populations": [], "lang": lang}
            elif turn["expect"] == "crisis":
                yield {"text": text, "labels": list(turn.get("situations") or ["suicidal"]), "tier": "clear",
                       "imminent": bool(turn.get("imminent")), "populations": [], "lang": lang}


def target_file(folder: Path) -> Path:
    return Path(TRAINING_DIR) / f"spent_{folder.name}.jsonl"


def fold(folder: Path) -> List[Dict]:
    # every training file but this set's own (running it again rewrites that file, not empties it)
    others = [str(p) for p in sorted(Path(TRAINING_DIR).glob("*.jsonl")) if p != target_file(folder)]
    seen = {" ".join(example.text.lower().split()) for example in load_examples(others)}
    rows = []
    for row in list(_message_rows(folder)) + list(_turn_rows(folder)):
        key = " ".join(row["text"].lower().split())
        if key in seen:
            continue
        seen.add(key)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a spent frozen set, e.g. tests/risk_eval/frozen_v3")
    args = parser.parse_args()
    rows = fold(args.folder)
    target = target_file(args.folder)
    with open(target, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows -> {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
