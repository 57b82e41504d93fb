"""Development-split comparison of NLU feature sets (issue 12), without Rasa: fast enough to try many.

Leave-one-writer-out over bot/data/faq_writers/: train a logistic regression on the original data
plus four writers, score the fifth, for each feature set:

    .venv/bin/python scripts/nlu_dev_features.py sparse dense sparse+dense8 sparse+dense12
    .venv/bin/python scripts/nlu_dev_features.py --faq-only sparse+dense8 sparse+dense12

`sparse` = word + char_wb 2-4 counts (as config.yml's CountVectorsFeaturizers), `dense<k>` = the
all-MiniLM-L6-v2 sentence embedding times k (SentenceEncoderFeaturizer's `scale`). Labels are full
topics (faq/<topic> or the intent); --faq-only scores only the FAQ topics (LinearResponseSelector's
job). The frozen test set is never read. Embeddings are cached in var/nlu-dev/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.nlu_topics import read_examples  # noqa: E402

CACHE = ROOT / "var" / "nlu-dev" / "embeddings.npz"


def load_sets():
    original = [x for name in ("nlu.yml", "nlu_preferences.yml", "nlu_risk.yml")
                for x in read_examples(ROOT / "bot" / "data" / name)]
    writers = {p.stem: read_examples(p) for p in sorted((ROOT / "bot" / "data" / "faq_writers").glob("*.yml"))}
    return original, writers


def embeddings(texts):
    cached = {}
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=True)
        cached = dict(zip(z["t"], z["e"]))
    missing = sorted({t for t in texts if t not in cached})
    if missing:
        from sentence_encoder import get_encoder

        cached.update(zip(missing, get_encoder().encode(missing, batch_size=32)))
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, t=np.array(list(cached), dtype=object), e=np.stack(list(cached.values())))
    return cached


def features(train, test, kind, emb):
    parts_train, parts_test = [], []
    if "sparse" in kind:
        for vectorizer in (CountVectorizer(lowercase=True, token_pattern=r"(?u)\b\w+\b"),
                           CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True)):
            parts_train.append(vectorizer.fit_transform(train))
            parts_test.append(vectorizer.transform(test))
    if "dense" in kind:
        scale = float(kind.split("dense")[1] or 1)
        parts_train.append(csr_matrix(np.stack([emb[t] for t in train]) * scale))
        parts_test.append(csr_matrix(np.stack([emb[t] for t in test]) * scale))
    return hstack(parts_train).tocsr(), hstack(parts_test).tocsr()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kinds", nargs="+")
    parser.add_argument("--faq-only", action="store_true")
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    original, writers = load_sets()
    emb = embeddings([t for t, _ in original] + [t for w in writers.values() for t, _ in w])
    keep = (lambda label: label.startswith("faq/")) if args.faq_only else (lambda label: True)
    for kind in args.kinds:
        scores = []
        for held in writers:
            train = [x for x in original + [x for k, w in writers.items() if k != held for x in w] if keep(x[1])]
            test = [x for x in writers[held] if keep(x[1])]
            x_train, x_test = features([t for t, _ in train], [t for t, _ in test], kind, emb)
            model = LogisticRegression(C=args.c, max_iter=1000, class_weight="balanced", random_state=2026)
            model.fit(x_train, [label for _, label in train])
            scores.append(float(np.mean(model.predict(x_test) == np.array([label for _, label in test]))))
        print(f"{kind:16s} held-out writer accuracy {[round(s, 3) for s in scores]} mean {np.mean(scores):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
