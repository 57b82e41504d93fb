"""Tune the risk layer on the DEVELOPMENT split of risk/data/training (never a frozen set).

    .venv/bin/python scripts/tune_risk.py                 # feature comparison + threshold sweep
    .venv/bin/python scripts/tune_risk.py --quick         # current settings: n-grams alone and
                                                          # with the sentence-embedding gates (ships)

Trains on the training split, judges the development split, and prints per setting: recall of
the right resource on clear risk (all / imminent / Spanish), how uncertain messages are met, and
false alarms on messages without risk. The chosen thresholds go into risk/data/judge.yml.
Sentence embeddings (all-MiniLM-L6-v2, about two minutes for ~24,000 texts on 2 cores) are cached in
var/sentence_embeddings.npz, keyed by text, and shared with `rasa train`.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk.classifier import SituationClassifier, is_dev, load_examples  # noqa: E402
from risk.constants import POPULATIONS  # noqa: E402
from risk.evaluation import offline_reply, right_resource  # noqa: E402
from risk.judge import RiskJudge, settings  # noqa: E402


def nlu_examples():
    """The assistant's own NLU examples, as the RiskDetector component adds them in `rasa train`."""
    from bot.nlu.risk_detector import benign_nlu_examples, load_nlu_data

    return benign_nlu_examples(load_nlu_data())


def embed(texts):
    """Unit sentence embeddings of `texts`, as the NLU pipeline computes them, cached by text
    (sentence_encoder/cache.py, the cache `rasa train` uses too)."""
    from sentence_encoder.cache import encode_cached

    return encode_cached(texts)


def evaluate(judge, dev, show_misses=0, embeddings=None):
    stats = Counter()
    misses = []
    for i, e in enumerate(dev):
        v = judge.judge(e.text, embeddings[i] if embeddings is not None else None)
        if e.tier == "clear":
            stats["clear"] += 1
            stats["clear_es"] += e.lang == "es"
            stats["imm"] += e.imminent
            ok = v.tier == "clear" and right_resource(offline_reply(v.situations, v.populations, v.lang), e.labels, e.imminent)
            stats["clear_ok"] += ok
            stats["clear_any"] += v.tier != "none"
            stats["clear_es_ok"] += ok and e.lang == "es"
            stats["imm_ok"] += ok and e.imminent
            if not ok:
                misses.append((e, v))
            for population in POPULATIONS:  # a population's line in the crisis reply
                labelled, found = population in e.populations, population in v.populations
                stats["pop"] += labelled
                stats["pop_ok"] += labelled and found
                stats["pop_other"] += found and not labelled
        elif e.tier == "uncertain":
            stats["unc"] += 1
            stats["unc_ok"] += v.tier != "none"
        else:
            stats["none"] += 1
            stats["fa"] += v.tier != "none"
            stats["ordinary"] += e.source == "nlu"
            stats["fa_ordinary"] += e.source == "nlu" and v.tier != "none"
            stats["fa_clear"] += v.tier == "clear"
            if v.tier != "none":
                misses.append((e, v))
    r = lambda a, b: stats[a] / max(1, stats[b])  # noqa: E731
    row = (f"clear right {r('clear_ok','clear'):.3f} (any {r('clear_any','clear'):.3f}) imminent {r('imm_ok','imm'):.3f} "
           f"es {r('clear_es_ok','clear_es'):.3f} | uncertain met {r('unc_ok','unc'):.3f} | "
           f"false alarms {r('fa','none'):.3f} (crisis {r('fa_clear','none'):.3f}; ordinary {r('fa_ordinary','ordinary'):.3f}) | "
           f"population lines {r('pop_ok','pop'):.3f} (to others {stats['pop_other'] / max(1, len(POPULATIONS) * stats['clear'] - stats['pop']):.4f})")
    for e, v in misses[:show_misses]:
        print(f"   MISS [{e.tier} {','.join(e.labels)}] -> {v.tier} {v.situation} {v.score:.2f}/{v.distress:.2f} {','.join(v.signals)}: {e.text[:110]}")
    return row


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--show-misses", type=int, default=0)
    args = parser.parse_args()
    examples = load_examples() + nlu_examples()  # the assistant's own NLU examples: ordinary messages
    train = [e for e in examples if not is_dev(e)]
    dev = [e for e in examples if is_dev(e)]
    print(f"training split {len(train)}, development split {len(dev)} "
          f"({Counter(e.tier for e in dev)})")
    base = settings()["thresholds"]
    train_vectors, dev_vectors = embed([e.text for e in train]), embed([e.text for e in dev])
    shipped = SituationClassifier.train(train, embeddings=train_vectors)
    if args.quick:
        print("n-grams alone:     ", evaluate(RiskJudge(SituationClassifier.train(train)), dev))
        print("+ embedding gates: ", evaluate(RiskJudge(shipped), dev, args.show_misses, dev_vectors))
        return 0
    print("\n# features and regularisation (thresholds as in judge.yml)")
    models = {}
    for features, c in itertools.product(("word", "char", "word+char"), (1.0, 4.0, 16.0)):
        start = time.time()
        clf = SituationClassifier.train(train, c=c, features=features)
        models[(features, c)] = clf
        print(f"{features:9s} C={c:<5} {evaluate(RiskJudge(clf), dev)}  [{time.time() - start:.0f}s]")
    print(f"word+char + embedding gates C=4 {evaluate(RiskJudge(shipped), dev, 0, dev_vectors)}")
    clf = shipped
    print("\n# thresholds (word+char + embedding gates, C=4)")
    for clear, piece, uncertain in itertools.product((0.4, 0.5, 0.6), (0.7, 0.8, 0.9), (0.5, 0.6, 0.7)):
        judge = RiskJudge(clf, thresholds={"clear": clear, "clear_piece": piece, "uncertain": uncertain})
        print(f"clear {clear} piece {piece} uncertain {uncertain}: {evaluate(judge, dev, 0, dev_vectors)}")
    for title, name, values in [
        ("the imminent gate", "imminent", (0.2, 0.3, 0.4, 0.5, 1.1)),
        ("a runner-up situation's line", "also", (0.05, 0.1, 0.15, 0.25, 1.1)),
        ("the classifier's confidence needed for a short message (the patterns cover short phrasings)",
         "clear_short", (0.45, 0.6, 0.7, 0.8, 0.9)),
        ("agreement the patterns need from the classifier", "pattern_agree", (0.0, 0.1, 0.2, 0.3, 0.4, 1.1)),
    ]:
        print(f"\n# {title}")
        for value in values:
            print(f"{name} {value}: {evaluate(RiskJudge(clf, thresholds={name: value}), dev, 0, dev_vectors)}")
    print(f"\njudge.yml now: {base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
