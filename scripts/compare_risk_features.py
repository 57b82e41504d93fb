"""Features for the risk gates, compared on the DEVELOPMENT split (never the frozen set):
word+char n-grams (what ships), the all-MiniLM-L6-v2 sentence encoder (sentence_encoder/), and
both concatenated. Same models as risk/classifier.py (binary clear and risk gates, multinomial
situation), same scoring as scripts/tune_risk.py.

    .venv/bin/python scripts/compare_risk_features.py      # ~5 min on 2 cores (encodes ~11k texts)
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk.classifier import _normaliser, is_dev, load_examples  # noqa: E402
from risk.constants import SITUATIONS  # noqa: E402
from risk.evaluation import offline_reply, right_resource  # noqa: E402


def evaluate(dev, clear_p, risk_p, situation_p, classes, clear_t=0.5, risk_t=0.6) -> str:
    st = Counter()
    for j, e in enumerate(dev):
        tier = "clear" if clear_p[j] >= clear_t else ("uncertain" if risk_p[j] >= risk_t else "none")
        chosen = [classes[int(np.argmax(situation_p[j]))]]
        if e.tier == "clear":
            ok = tier == "clear" and right_resource(offline_reply(chosen, [], e.lang), e.labels, e.imminent)
            st["c"] += 1
            st["ok"] += ok
            st["es"] += e.lang == "es"
            st["es_ok"] += ok and e.lang == "es"
        elif e.tier == "uncertain":
            st["u"] += 1
            st["u_ok"] += tier != "none"
        else:
            st["n"] += 1
            st["fa"] += tier != "none"
    return (f"right {st['ok'] / st['c']:.3f}  Spanish {st['es_ok'] / max(1, st['es']):.3f}  "
            f"uncertain met {st['u_ok'] / st['u']:.3f}  false alarms {st['fa'] / st['n']:.3f}")


def main() -> int:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.nlu.risk_detector import benign_nlu_examples, load_nlu_data
    from sentence_encoder import get_encoder

    examples = load_examples()
    train = [e for e in examples if not is_dev(e)] + benign_nlu_examples(load_nlu_data())
    dev = [e for e in examples if is_dev(e)]
    normalise = _normaliser()
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                           strip_accents="unicode", token_pattern=r"(?u)\b\w+\b")
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                           strip_accents="unicode", max_features=200_000)
    train_text = [normalise(e.text) for e in train]
    dev_text = [normalise(e.text) for e in dev]
    ngram_train = hstack([word.fit_transform(train_text), char.fit_transform(train_text)], format="csr")
    ngram_dev = hstack([word.transform(dev_text), char.transform(dev_text)], format="csr")
    started = time.time()
    encoder = get_encoder()
    dense_train = csr_matrix(encoder.encode([e.text for e in train], batch_size=32))
    dense_dev = csr_matrix(encoder.encode([e.text for e in dev], batch_size=32))
    print(f"encoded {len(train) + len(dev)} texts in {time.time() - started:.0f} s")
    clear_y = np.array([e.tier == "clear" for e in train])
    risk_y = np.array([e.tier != "none" for e in train])
    rows = np.where(clear_y)[0]
    situation_y = [next((s for s in train[i].labels if s in SITUATIONS), "suicidal") for i in rows]
    for name, x_train, x_dev in [("word+char n-grams", ngram_train, ngram_dev),
                                 ("MiniLM encoder", dense_train, dense_dev),
                                 ("both", hstack([ngram_train, dense_train], format="csr"),
                                  hstack([ngram_dev, dense_dev], format="csr"))]:
        clear = LogisticRegression(C=4.0, solver="liblinear", max_iter=3000).fit(x_train, clear_y)
        risk = LogisticRegression(C=4.0, solver="liblinear", max_iter=3000).fit(x_train, risk_y)
        situation = LogisticRegression(C=4.0, max_iter=3000).fit(x_train[rows], situation_y)
        print(f"{name:18s} {evaluate(dev, clear.predict_proba(x_dev)[:, 1], risk.predict_proba(x_dev)[:, 1], situation.predict_proba(x_dev), situation.classes_)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
