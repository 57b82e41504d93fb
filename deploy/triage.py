"""The load balancer's crisis triage: which messages go to the front of HAProxy's queue.

Under load a message waits in the load balancer's queue before any worker reads it (at 32 clients
on two cores about 0.6 s: docs/CAPACITY.md). The risk layer knows a message is a crisis only after
the NLU has read it, after that wait. HAProxy can read the request body before queueing and give a
matching request a higher priority class (deploy/haproxy.py); this module chooses what it matches:
words and word pairs learned from the risk training data, written as one regular expression.

How they are learned (`learn_cues`): a greedy cover of the clear-risk training messages, where each
word or pair gains the clear messages it newly covers and pays `cost` for each message without risk it
newly covers; only words seen in at least `min_support` clear messages, and clear in at least
`min_precision` of the messages without uncertain risk that hold them, are candidates. The three
settings were chosen on the development split (`python -m deploy.triage --sweep`); the words come
from the training split only.

A miss means the message waits its turn as before; a false match means an everyday message jumps the
queue. Nothing here changes a reply: the risk layer still reads every message. It lives in deploy/,
beside the HAProxy configuration that uses it, not in risk/: the model reads nothing here, and risk/
is part of the model's fingerprint (bot/model_fingerprint.py).

HAProxy sees the body as bytes, lower-cased only in ASCII (`lower`) after URL decoding (SMS bodies
are form-encoded). So a word here is a run of [a-z0-9] and everything else separates words: "daño"
is "da" and "o" to both sides. The same expression is compiled here to measure it, and the HAProxy
test checks that HAProxy reads it the same way.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

CUES_FILE = os.path.join(os.path.dirname(__file__), "triage_cues.txt")
DEFAULT_COST = 0.5
DEFAULT_MIN_SUPPORT = 8
DEFAULT_MIN_PRECISION = 0.7
_WORD = re.compile(r"[a-z0-9]+")


def haproxy_view(text: str) -> str:
    """The text as HAProxy's `lower` converter leaves it: ASCII letters lower-cased, nothing else."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def features(text: str) -> Set[str]:
    """The message's words and adjacent word pairs ("kill myself"), as HAProxy's view splits them."""
    words = _WORD.findall(haproxy_view(text))
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def cue_expression(cues: Iterable[str]) -> str:
    """One PCRE (and Python) expression matching any cue as whole words; a pair's words may be
    separated by anything that is not a word (spaces, '+', punctuation, a line break)."""
    alternatives = sorted({r"[^a-z0-9]+".join(re.escape(w) for w in cue.split()) for cue in cues},
                          key=lambda a: (-len(a), a))
    return r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])"


@dataclass(frozen=True)
class Labelled:
    text: str
    crisis: bool  # a clear risk: the reply must carry crisis resources
    neutral: bool = False  # uncertain distress: neither a gain nor a cost when learning
    everyday: bool = False  # the assistant's own NLU examples (ordinary traffic), not a writer's hard case
    lang: str = "en"


def learn_cues(examples: Sequence[Labelled], cost: float = DEFAULT_COST, min_support: int = DEFAULT_MIN_SUPPORT,
               min_precision: float = DEFAULT_MIN_PRECISION, max_cues: int = 2000) -> List[str]:
    """The greedy cover (module docstring); cues in the order they were chosen."""
    import numpy as np
    from scipy import sparse

    vocabulary: Dict[str, int] = {}
    rows, cols = [], []
    for row, example in enumerate(examples):
        for feature in sorted(features(example.text)):  # the same columns, so the same ties, in every process
            rows.append(row)
            cols.append(vocabulary.setdefault(feature, len(vocabulary)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(len(examples), len(vocabulary)))
    crisis = np.array([e.crisis for e in examples])
    support = np.asarray(matrix[crisis].sum(axis=0)).ravel()
    against = np.asarray(matrix[np.array([not e.crisis and not e.neutral for e in examples])].sum(axis=0)).ravel()
    # a word common on both sides ("and", "he") covers many long crisis messages in this data, where
    # half the messages are crises; on a clinic's line, where few are, it would match everything
    allowed = (support >= min_support) & (support >= min_precision * (support + against))
    weight = np.array([1.0 if e.crisis else (0.0 if e.neutral else -cost) for e in examples], dtype=np.float32)
    by_column = matrix.tocsc()
    names = {i: f for f, i in vocabulary.items()}
    chosen: List[str] = []
    while len(chosen) < max_cues:
        gains = np.asarray(matrix.T @ weight).ravel()
        gains[~allowed] = -np.inf
        best = int(np.argmax(gains))
        if gains[best] < 1.0:
            break
        chosen.append(names[best])
        covered = by_column.indices[by_column.indptr[best]:by_column.indptr[best + 1]]
        weight[covered] = 0.0
        allowed[best] = False
    return chosen


def training_examples() -> Tuple[List[Labelled], List[Labelled]]:
    """(training split, development split): the risk writers' messages and the assistant's NLU
    examples as everyday messages, split by risk.classifier.is_dev as the classifier's tuning was."""
    from bot.nlu.risk_detector import benign_nlu_examples, load_nlu_data
    from risk.classifier import is_dev, load_examples

    train: List[Labelled] = []
    dev: List[Labelled] = []
    for example in load_examples():
        labelled = Labelled(example.text, example.tier == "clear", example.tier == "uncertain", False, example.lang)
        (dev if is_dev(example) else train).append(labelled)
    for example in benign_nlu_examples(load_nlu_data()):
        (dev if is_dev(example) else train).append(Labelled(example.text, False, everyday=True))
    return train, dev


@dataclass(frozen=True)
class Reading:
    crisis_caught: float  # share of crisis messages the expression matches
    everyday_matched: float  # share of the assistant's ordinary messages it matches
    hard_matched: float  # share of the writers' no-risk messages (mostly hard cases) it matches
    spanish_caught: Optional[float]

    def line(self) -> str:
        spanish = "-" if self.spanish_caught is None else f"{self.spanish_caught:.3f}"
        return (f"crisis caught {self.crisis_caught:.3f} (Spanish {spanish}), everyday matched "
                f"{self.everyday_matched:.3f}, hard no-risk matched {self.hard_matched:.3f}")


def put_first(expression: str) -> Callable[[str], bool]:
    """Whether HAProxy, matching `expression` against a message as it reads it, takes it first."""
    compiled = re.compile(expression)
    return lambda text: bool(compiled.search(haproxy_view(text)))


def read(expression: str, examples: Sequence[Labelled]) -> Reading:
    matches = put_first(expression)

    def share(group: List[Labelled]) -> float:
        return sum(matches(e.text) for e in group) / max(len(group), 1)

    crisis = [e for e in examples if e.crisis]
    spanish = [e for e in crisis if e.lang == "es"]
    return Reading(share(crisis), share([e for e in examples if e.everyday]),
                   share([e for e in examples if not e.crisis and not e.neutral and not e.everyday]),
                   share(spanish) if spanish else None)


def write_triage_expression(path: str, cues_file: str = CUES_FILE) -> str:
    """The cues as the one-line pattern file HAProxy's `-m reg -f` reads (one expression, compiled
    once, instead of hundreds tried one by one); returns `path`."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(cue_expression(load_cues(cues_file)) + "\n")
    return path


def load_cues(path: str = CUES_FILE) -> List[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def write_cues(cues: Sequence[str], path: str = CUES_FILE, cost: float = DEFAULT_COST,
               min_support: int = DEFAULT_MIN_SUPPORT) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# Written by `python -m deploy.triage --write` from risk/data/training and the NLU examples\n"
                 f"# (training split; cost {cost}, min_support {min_support}): deploy/triage.py says how.\n"
                 "# The load balancer's queue priority only; the risk layer still reads every message.\n")
        fh.writelines(f"{cue}\n" for cue in cues)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="costs and supports on the development split")
    parser.add_argument("--write", action="store_true", help=f"learn with the defaults and write {CUES_FILE}")
    args = parser.parse_args(argv)
    train, dev = training_examples()
    if args.sweep:
        for min_precision in (0.7, 0.8, 0.9):
            for min_support in (3, 8):
                for cost in (0.5, 1.0, 2.0):
                    cues = learn_cues(train, cost, min_support, min_precision)
                    print(f"precision {min_precision} cost {cost:>4} min_support {min_support:>2} cues {len(cues):>4}: "
                          f"{read(cue_expression(cues), dev).line()}")
        return 0
    cues = learn_cues(train)
    if args.write:
        write_cues(cues)
    print(f"{len(cues)} cues; development split: {read(cue_expression(cues), dev).line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
