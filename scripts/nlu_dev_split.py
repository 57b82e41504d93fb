"""Development split for the NLU (issue 12): hold out one training writer, train on the rest, score.

Each file in bot/data/faq_writers/ was written by a different writer in a different voice, so
holding one out measures how the model does on a voice it never saw -- without touching the frozen
test set (tests/nlu_frozen/), which is run once, at the end, by scripts/eval_frozen_nlu.py.

    .venv/bin/python scripts/nlu_dev_split.py --hold-out sceptic [--config config.yml]

Prints topic accuracy (intent, or faq/<topic> from the ResponseSelector) on the held-out writer,
and the confusions.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.nlu_topics import read_examples, topic_of  # noqa: E402

WRITERS = ROOT / "bot" / "data" / "faq_writers"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hold-out", required=True, help="writer file stem in bot/data/faq_writers")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--work", default=None, help="keep the training data and model here")
    args = parser.parse_args()

    held = WRITERS / f"{args.hold_out}.yml"
    if not held.exists():
        parser.error(f"no writer file {held}")
    work = Path(args.work or tempfile.mkdtemp(prefix="nlu-dev-"))
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    for path in (ROOT / "bot" / "data").rglob("nlu*.yml"):
        shutil.copy(path, data / path.name)
    for path in WRITERS.glob("*.yml"):
        if path != held:
            shutil.copy(path, data / f"writer_{path.name}")
    subprocess.run([str(ROOT / ".venv/bin/rasa"), "train", "nlu", "--config", args.config, "--nlu", str(data),
                    "--out", str(work / "models"), "--fixed-model-name", "dev"], check=True, cwd=ROOT)

    examples = read_examples(held)
    parsed = asyncio.run(_parse(work / "models" / "dev.tar.gz", [t for t, _ in examples]))
    right = 0
    confusions = collections.Counter()
    for (text, label), p in zip(examples, parsed):
        got = topic_of(p)
        right += got == label
        if got != label:
            confusions[(label, got)] += 1
    print(f"held-out writer {args.hold_out}: topic accuracy {right / len(examples):.3f} ({right}/{len(examples)})")
    for (label, got), n in confusions.most_common(25):
        print(f"  {n:3d}  {label} -> {got}")
    return 0


async def _parse(model: Path, texts):
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


if __name__ == "__main__":
    raise SystemExit(main())
