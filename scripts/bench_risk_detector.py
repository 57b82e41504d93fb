#!/usr/bin/env python
"""Latency of the whole risk verdict per message: patterns, classifier, language and
population cues (risk.judge.RiskJudge.judge). Target: p99 <= 5 ms.

    .venv/bin/python scripts/bench_risk_detector.py [--rounds 3]

Trains the classifier on the training split as `rasa train` does (n-grams plus the
sentence-embedding gates; embeddings cached in var/ by sentence_encoder/cache.py), then judges every
message of the development split after a warm-up, on one thread, and prints p50 / p90 / p99 / max
in milliseconds for the whole verdict and for each layer, plus long and pathological messages.
Each message's embedding is given, as the NLU pipeline gives it: computing it is the sentence
encoder's cost (scripts/bench_encoder.py), paid once per message for the intent model too.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(function, texts, rounds):
    timings, cpu = [], []
    for _ in range(rounds):
        for text in texts:
            c0, t0 = time.thread_time(), time.perf_counter()
            function(text)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    return timings, cpu


def row(name, timings):
    return (f"{name:28s} p50 {percentile(timings, 0.5):6.3f}  p90 {percentile(timings, 0.9):6.3f}  "
            f"p99 {percentile(timings, 0.99):6.3f}  max {max(timings):7.3f}  mean {statistics.mean(timings):6.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from risk.classifier import SituationClassifier, is_dev, load_examples
    from risk.detector import get_detector
    from risk.judge import RiskJudge

    from scripts.tune_risk import embed

    examples = load_examples()
    texts = [e.text for e in examples if is_dev(e)]
    training = [e for e in examples if not is_dev(e)]
    vectors = dict(zip(texts, embed(texts)))
    started = time.perf_counter()
    classifier = SituationClassifier.train(training, embeddings=embed([e.text for e in training]))
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    detector = get_detector()
    judge = RiskJudge(classifier, detector)
    load_s = time.perf_counter() - started
    for text in texts:  # warm-up
        judge.judge(text, vectors[text])

    whole, whole_cpu = timed(lambda text: judge.judge(text, vectors[text]), texts, args.rounds)
    patterns, _ = timed(detector.assess, texts, args.rounds)
    clf, _ = timed(lambda text: classifier.scores(text, vectors[text]), texts, args.rounds)
    long_text = " ".join(texts)[:2000]
    long, _ = timed(judge.judge, [long_text], 30)
    huge, _ = timed(judge.judge, ["?" * 10_000, "a " * 20_000, "I want to die. " * 1_000], 3)

    print(f"classifier training: {train_s:.1f} s; pattern load: {load_s:.2f} s (once per process)")
    print(f"messages: {len(texts)} (development split) x {args.rounds} rounds = {len(whole)} verdicts")
    print(row("whole verdict", whole))
    print(row("  patterns (spaCy Matcher)", patterns))
    print(row("  classifier", clf))
    print(row("whole verdict, CPU time", whole_cpu))
    print(row("2,000-char message", long))
    print(row("10-40 kB pathological", huge))
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ok = percentile(whole, 0.99) <= 5.0
    print(f"target p99 <= 5 ms per message: {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
