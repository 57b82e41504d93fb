"""Gate on the held-out NLU evaluation written by `rasa test nlu`.

Reads intent_report.json and response_selection_report.json from the results
folder, prints the figures and exits non-zero when one is under its target.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

TARGETS = {"intent accuracy": 0.95, "intent macro F1": 0.95, "response selector accuracy": 0.95}


def figures(results: Path) -> dict:
    intent = json.loads((results / "intent_report.json").read_text())
    selector = json.loads((results / "response_selection_report.json").read_text())
    return {
        "intent accuracy": intent["accuracy"],
        "intent macro F1": intent["macro avg"]["f1-score"],
        "response selector accuracy": selector["accuracy"],
    }


def main(argv: list) -> int:
    results = Path(argv[1] if len(argv) > 1 else "results/nlu")
    measured = figures(results)
    failed = False
    for name, value in measured.items():
        ok = value >= TARGETS[name]
        failed |= not ok
        print(f"{name:28s} {value:.4f}  (target >= {TARGETS[name]:.2f}) {'ok' if ok else 'BELOW TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
