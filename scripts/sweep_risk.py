"""Threshold sweep on the DEVELOPMENT split, training the shipped classifier once and scoring
each development message once (tune_risk.py's full run retrains per setting).

    .venv/bin/python scripts/sweep_risk.py clear=0.45,0.5,0.55 imminent=0.3,0.4 pattern_agree=0.1,0.3

Every combination of the given values is judged; the other thresholds are judge.yml's. Upper-case
names set risk/classifier.py's blend constants instead (ENCODER_WEIGHT=0.3,0.5).
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import risk.classifier as classifier_module  # noqa: E402
from risk.classifier import SituationClassifier, is_dev, load_examples  # noqa: E402
from risk.judge import RiskJudge  # noqa: E402
from tune_risk import embed, evaluate, nlu_examples  # noqa: E402


class _Memo:
    """The classifier's scores, computed once per development message."""

    def __init__(self, classifier):
        self._classifier, self._seen = classifier, {}

    def scores(self, text, embedding=None):
        key = (text, embedding is not None)
        if key not in self._seen:
            self._seen[key] = self._classifier.scores(text, embedding)
        return self._seen[key]


def main(argv) -> int:
    grid = {name: [float(v) for v in values.split(",")] for name, values in (a.split("=") for a in argv)}
    examples = load_examples() + nlu_examples()
    train = [e for e in examples if not is_dev(e)]
    dev = [e for e in examples if is_dev(e)]
    trained = SituationClassifier.train(train, embeddings=embed([e.text for e in train]))
    dev_vectors = embed([e.text for e in dev])
    memos = {}
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values))
        constants = {k: v for k, v in setting.items() if k.isupper()}
        for name, value in constants.items():
            setattr(classifier_module, name, value)
        classifier = memos.setdefault(tuple(sorted(constants.items())), _Memo(trained))
        thresholds = {k: v for k, v in setting.items() if not k.isupper()}
        print(setting, evaluate(RiskJudge(classifier, thresholds=thresholds), dev, 0, dev_vectors), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
