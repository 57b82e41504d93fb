"""How close (cosine of sentence embeddings) a message must be to a faq/crisis_support example
before LinearResponseSelector may answer it with the crisis-support answer (config.yml `asked_only`).

    .venv/bin/python scripts/tune_asked_only.py

Kept: each FAQ writer's crisis-support questions scored against the other writers' and
bot/data/nlu.yml's (leave one writer out). Passing: messages without risk from
risk/data/training (English), and the other FAQ topics' questions, scored against every example.
Each threshold is shown alone and with the words bot/nlu/asked_only.py also requires.
"""
from __future__ import annotations

import glob
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu.asked_only import asks_for  # noqa: E402
from risk.classifier import load_examples  # noqa: E402
from sentence_encoder.cache import encode_cached  # noqa: E402

TOPIC = "faq/crisis_support"


def questions(path: str, wanted) -> list:
    """The texts of a file's examples whose retrieval intent (`faq/<topic>`) `wanted` accepts, read
    by Rasa's own loader (entity annotations and all)."""
    from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, TEXT
    from rasa.shared.nlu.training_data.loading import load_data

    return [m.get(TEXT) for m in load_data(path).intent_examples if wanted(str(m.get(INTENT_RESPONSE_KEY) or ""))]


def main() -> int:
    files = [str(ROOT / "bot/data/nlu.yml")] + sorted(glob.glob(str(ROOT / "bot/data/faq_writers/*.yml")))
    topic = {f: questions(f, lambda i: i == TOPIC) for f in files}
    other_faq = [q for f in files for q in questions(f, lambda i: i.startswith("faq/") and i != TOPIC)]
    everyday = [e.text for e in load_examples() if e.tier == "none" and e.lang == "en"]
    texts = sorted({t for qs in topic.values() for t in qs} | set(other_faq) | set(everyday))
    vectors = dict(zip(texts, encode_cached(texts)))

    def closest(text, reference):
        return float((reference @ vectors[text]).max())

    held_out, held_out_texts = [], []
    for writer in files[1:]:
        reference = np.stack([vectors[t] for f in files if f != writer for t in topic[f]])
        held_out += [closest(t, reference) for t in topic[writer]]
        held_out_texts += topic[writer]
    reference = np.stack([vectors[t] for qs in topic.values() for t in qs])
    everyday_scores = np.array([closest(t, reference) for t in everyday])
    other_scores = np.array([closest(t, reference) for t in other_faq])
    held_out = np.array(held_out)
    worded = [np.array([asks_for(TOPIC, t) for t in texts]) for texts in (held_out_texts, everyday, other_faq)]
    print(f"{len(held_out)} held-out crisis-support questions, {len(everyday_scores)} everyday messages, "
          f"{len(other_scores)} other FAQ questions")
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65):
        for label, masks in (("", (True, True, True)), (" + words", worded)):
            print(f"cosine >= {threshold}{label}: crisis-support questions kept "
                  f"{((held_out >= threshold) & masks[0]).mean():.3f}, everyday messages passing "
                  f"{((everyday_scores >= threshold) & masks[1]).mean():.3f}, other FAQ questions passing "
                  f"{((other_scores >= threshold) & masks[2]).mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
