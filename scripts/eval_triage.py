"""The load balancer's crisis triage (deploy/triage.py) on its frozen test set, run once at the end.

    .venv/bin/python scripts/eval_triage.py [--set tests/triage_eval/frozen]

The set (README there) was written by a helper who saw neither the training data nor the cues,
before the cues' settings were chosen; its sha256 sums are checked first. It prints the share of
crisis messages the triage puts first (English, Spanish) and the share of everyday messages it puts
first with them (hard negatives apart). The words were learned from the training split and the
settings chosen on the development split; nothing here feeds back into them.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from deploy.triage import cue_expression, load_cues, put_first  # noqa: E402

DEFAULT_SET = ROOT / "tests" / "triage_eval" / "frozen"


def verified_messages(folder: Path) -> List[Dict]:
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            raise SystemExit(f"{folder / name} changed since it was frozen")
    return [json.loads(line) for line in (folder / "messages.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    args = parser.parse_args()
    messages = verified_messages(args.set)
    matches = put_first(cue_expression(load_cues()))

    def share(group: List[Dict]) -> str:
        hits = sum(matches(m["text"]) for m in group)
        return f"{hits}/{len(group)} = {hits / max(len(group), 1):.3f}"

    def report(title: str, group: List[Dict]) -> None:
        crisis = [m for m in group if m["crisis"]]
        everyday = [m for m in group if not m["crisis"]]
        hard = [m for m in everyday if "hard negative" in m.get("style", "")]
        print(f"== {title}: {len(group)} messages ==")
        print(f"crisis messages put first:   {share(crisis)} (English {share([m for m in crisis if m['lang'] == 'en'])}, "
              f"Spanish {share([m for m in crisis if m['lang'] == 'es'])})")
        print(f"everyday messages put first: {share(everyday)} (hard negatives {share(hard)}, "
              f"others {share([m for m in everyday if m not in hard])})")

    report(str(args.set.relative_to(ROOT) if args.set.is_relative_to(ROOT) else args.set), messages)
    # short common messages ("help", "thank you") that a training writer happened to write too
    seen = training_texts()
    report("without the messages equal to a training text", [m for m in messages if _key(m["text"]) not in seen])
    return 0


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def training_texts() -> set:
    from risk.classifier import load_examples

    return {_key(e.text) for e in load_examples()}


if __name__ == "__main__":
    sys.exit(main())
