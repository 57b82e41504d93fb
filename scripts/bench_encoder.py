#!/usr/bin/env python
"""Speed and memory of the all-MiniLM-L6-v2 encoder (sentence_encoder/: numpy and onnxruntime).

    .venv/bin/python scripts/bench_encoder.py [--rounds 1] [--batch-size 16]

Encodes 300 realistic short-to-medium chat messages (built deterministically
below, 3-70 tokens) one at a time and reports p50 / p90 / p99 / max latency per
message, then all of them in batches (throughput), plus load time and the
process's peak RSS (resource.getrusage). Needs the model: scripts/install_encoder.sh.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

OPENERS = [
    "Hi",
    "Hello there",
    "Hey",
    "Good evening",
    "Sorry to bother you",
    "Quick question",
    "I hope this is the right place to ask",
]
QUESTIONS = [
    "how long does therapy usually take?",
    "what is psychodynamic therapy?",
    "how is psychoanalysis different from psychodynamic psychotherapy?",
    "how often would I need to come each week?",
    "is it right for me if I mostly struggle with anxiety?",
    "can I see someone in the evenings after work?",
    "do you have therapists who speak Spanish?",
    "how much does a session cost?",
    "is it covered by my insurance?",
    "can I do sessions online instead of in person?",
    "what happens in the first session?",
    "do I have to talk about my childhood?",
    "can I choose a female therapist?",
    "how do I find a therapist near Boston?",
    "what if I don't get on with my therapist?",
    "is what I say kept confidential?",
]
STATEMENTS = [
    "I've been feeling low for a few months now.",
    "My GP suggested talking therapy but I don't know where to start.",
    "I tried CBT before and it didn't really work for me.",
    "Work has been really stressful and I can't sleep properly.",
    "My relationship ended recently and I keep going over it.",
    "I get panic attacks on the train most mornings.",
    "I'd prefer someone who understands LGBTQ issues.",
    "I can only afford something on a sliding scale.",
    "My partner thinks I should see someone.",
    "I'm a student and my schedule changes every term.",
    "I don't really know what I'm looking for, to be honest.",
    "I've never done anything like this before.",
]
SHORT = ["thanks", "ok", "yes please", "no", "not really", "that helps, thank you", "bye", "maybe later", "Tuesday works"]


def messages(count: int = 300, seed: int = 7) -> list:
    """Chat-like messages: a third one-liners, the rest questions with some context."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.2:
            out.append(rng.choice(SHORT))
        elif kind < 0.45:
            question = rng.choice(QUESTIONS)
            out.append(question[0].upper() + question[1:])
        elif kind < 0.75:
            out.append(f"{rng.choice(OPENERS)}, {rng.choice(QUESTIONS)}")
        elif kind < 0.92:
            out.append(f"{rng.choice(STATEMENTS)} {rng.choice(QUESTIONS).capitalize()}")
        else:
            first, second = rng.sample(STATEMENTS, 2)
            out.append(f"{rng.choice(OPENERS)}. {first} {second} {rng.choice(QUESTIONS).capitalize()}")
    return out


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="passes over the 300 messages, one at a time")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    started = time.perf_counter()
    from sentence_encoder import ModelNotInstalledError, get_encoder  # imports numpy: every process pays it

    imported = time.perf_counter()
    try:
        encoder = get_encoder()
    except ModelNotInstalledError as exc:
        print(f"bench_encoder: {exc}", file=sys.stderr)
        return 2
    loaded = time.perf_counter()

    texts = messages()
    tokens = [len(encoder._tokenizer.encode(text).ids) for text in texts]
    for text in texts[:20]:  # warm-up: page in the weights, settle BLAS buffers
        encoder.encode([text])

    latencies = []
    for _ in range(args.rounds):
        for text in texts:
            t0 = time.perf_counter()
            encoder.encode([text])
            latencies.append((time.perf_counter() - t0) * 1000.0)

    t0 = time.perf_counter()
    encoder.encode(texts, batch_size=args.batch_size)
    batch_s = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    rows = [
        ("messages", f"{len(texts)} x {args.rounds} round(s), {min(tokens)}-{max(tokens)} tokens, mean {statistics.mean(tokens):.1f}"),
        ("import numpy + package", f"{(imported - started) * 1000:.0f} ms"),
        ("load (verify + build)", f"{(loaded - imported) * 1000:.0f} ms"),
        ("single p50", f"{statistics.median(latencies):.1f} ms"),
        ("single p90", f"{percentile(latencies, 0.90):.1f} ms"),
        ("single p99", f"{percentile(latencies, 0.99):.1f} ms"),
        ("single max", f"{max(latencies):.1f} ms"),
        (f"batch ({args.batch_size}) throughput", f"{len(texts) / batch_s:.0f} msg/s ({batch_s * 1000 / len(texts):.1f} ms/msg)"),
        ("peak RSS", f"{peak_mb:.0f} MB"),
        ("weights from", encoder.source),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'metric':<{width}} | value")
    print(f"{'-' * width}-|-{'-' * 40}")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
