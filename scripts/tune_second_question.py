"""Choose SecondQuestionFinder's threshold on the development split (issue 12).

For three held-out training writers: train the clause topic model on everything else, then
  - join two of the held-out writer's questions on different topics ("A and b", "A? b", ...)
    and count how often the second topic is found;
  - run the held-out writer's single questions and count how often a second topic is
    (wrongly) found.

    .venv/bin/python scripts/tune_second_question.py

The frozen test set (its own two-question messages included) is never read.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu.second_question import ANSWER_INTENTS, clauses  # noqa: E402
from scripts.nlu_dev_features import embeddings, load_sets  # noqa: E402
from sentence_encoder import get_encoder  # noqa: E402

THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)


def label(intent: str) -> str:
    return intent if intent.startswith("faq/") or intent in ANSWER_INTENTS else "other"


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def main() -> int:
    original, writers = load_sets()
    emb = embeddings([t for t, _ in original] + [t for w in writers.values() for t, _ in w])
    encoder, rng, results = get_encoder(), random.Random(7), {}
    for held in ("sceptic", "student_texting", "older_adult"):
        train = original + [x for k, w in writers.items() if k != held for x in w]
        model = LogisticRegression(C=10, max_iter=1000, class_weight="balanced", random_state=2026)
        model.fit(unit(np.stack([emb[t] for t, _ in train])), [label(l) for _, l in train])
        questions = [(t, l) for t, l in writers[held] if label(l) != "other"]
        pairs = []
        for _ in range(150):
            (a, la), (b, lb) = rng.sample(questions, 2)
            if la != lb:
                joiner = rng.choice([" and ", "? ", ". also ", ", plus "])
                pairs.append((a.rstrip("?.! ") + joiner + b[0].lower() + b[1:], la, lb))

        def second(text: str, main_topic: str):
            parts = clauses(text, 3)[:4]
            if len(parts) < 2:
                return None
            best = None
            for row in model.predict_proba(unit(encoder.encode(parts, batch_size=len(parts)))):
                i = int(np.argmax(row))
                if model.classes_[i] not in ("other", main_topic) and (best is None or row[i] > best[1]):
                    best = (model.classes_[i], float(row[i]))
            return best

        found_in_pairs = [(second(t, la), lb) for t, la, lb in pairs]
        found_in_singles = [second(t, l) for t, l in questions]
        for threshold in THRESHOLDS:
            hit = np.mean([f is not None and f[1] >= threshold and f[0] == lb for f, lb in found_in_pairs])
            extra = np.mean([f is not None and f[1] >= threshold for f in found_in_singles])
            results.setdefault(threshold, []).append((hit, extra))
    for threshold, rows in results.items():
        print(f"threshold {threshold}: second question found {np.mean([h for h, _ in rows]):.3f}, "
              f"extra answer on a single question {np.mean([e for _, e in rows]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
