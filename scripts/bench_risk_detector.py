#!/usr/bin/env python
"""Latency of the rule-based risk detector per message (target: p50 and p99 < 2 ms).

    .venv/bin/python scripts/bench_risk_detector.py [--rounds 5]

Runs every message of tests/risk_eval/messages.yml through risk.assess() after a
warm-up, on one thread, and prints p50 / p90 / p99 / max in milliseconds, plus one
long (~2,000 character) message.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from risk.detector import get_detector

    started = time.perf_counter()
    detector = get_detector()
    load_s = time.perf_counter() - started
    with open(os.path.join(ROOT, "tests", "risk_eval", "messages.yml"), encoding="utf-8") as fh:
        texts = [m["text"] for m in yaml.safe_load(fh)["messages"]]
    for text in texts:  # warm-up
        detector.assess(text)
    timings, cpu_timings = [], []
    for _ in range(args.rounds):
        for text in texts:
            c0, t0 = time.thread_time(), time.perf_counter()
            detector.assess(text)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu_timings.append((time.thread_time() - c0) * 1000)
    long_text = " ".join(texts)[:2000]
    long_timings = []
    for _ in range(50):
        t0 = time.perf_counter()
        detector.assess(long_text)
        long_timings.append((time.perf_counter() - t0) * 1000)

    p50, p90, p99 = (percentile(timings, f) for f in (0.5, 0.9, 0.99))
    print(f"detector load: {load_s:.2f} s (once per process)")
    print(f"messages: {len(texts)} x {args.rounds} rounds = {len(timings)} calls")
    print(f"per message: p50 {p50:.3f} ms  p90 {p90:.3f} ms  p99 {p99:.3f} ms  max {max(timings):.3f} ms  "
          f"mean {statistics.mean(timings):.3f} ms")
    print(f"CPU time per message (excludes waiting for a core on a busy machine): "
          f"p50 {percentile(cpu_timings, 0.5):.3f} ms  p99 {percentile(cpu_timings, 0.99):.3f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"2,000-char message: p50 {percentile(long_timings, 0.5):.3f} ms  p99 {percentile(long_timings, 0.99):.3f} ms")
    ok = p50 < 2.0 and p99 < 2.0
    print(f"target p50/p99 < 2 ms: {'MET' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
