"""The trained layer of the risk core: a multi-label classifier by situation.

Word (1-2) and character (2-5, within words) TF-IDF n-grams feed linear models (see
SituationClassifier). A long message is also read sentence by sentence (risk.segment), so a
disclosure inside a long question is not diluted by the rest. Features and models were chosen
by measurement on the development split (scripts/tune_risk.py; the comparison is in docs/RISK.md).

Training data: risk/data/training/*.jsonl, written by independent writers in distinct voices
(see risk/data/training/README.md). Rasa-free: the NLU component (bot/nlu/risk_detector.py)
trains it inside `rasa train`, and the evaluation scripts train it directly.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import pickle
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from risk.constants import POPULATIONS, SITUATIONS
from risk.normalise import Normaliser
from risk.segment import long_message_sentences

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
TRAINING_DIR = os.path.join(DATA_DIR, "training")
WHOLE_MESSAGE_CHARS = 1_500  # the whole-message reading sees this much; sentences cover the rest
DEV_PERCENT = 20  # share of each writer's file held out for tuning (by a hash of the text)
N_GATES = 3  # clear, risk, imminent: the binary models, in this order
# How much the sentence embedding counts against the n-grams (development split, docs/RISK.md):
# gates blended in logit space, situations as probabilities.
ENCODER_WEIGHT = 0.3
ENCODER_SITUATION_WEIGHT = 0.3
ENCODER_HIDDEN = 256  # units of the sentence-embedding gates' hidden layer


@dataclass(frozen=True)
class Example:
    text: str
    labels: Tuple[str, ...]
    tier: str
    imminent: bool = False
    populations: Tuple[str, ...] = ()
    lang: str = "en"
    source: str = ""


def load_examples(paths: Optional[Iterable[str]] = None) -> List[Example]:
    paths = sorted(paths if paths is not None else glob.glob(os.path.join(TRAINING_DIR, "*.jsonl")))
    examples = []
    for path in paths:
        source = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                examples.append(Example(
                    text=row["text"], labels=tuple(row.get("labels") or ()), tier=row.get("tier", "none"),
                    imminent=bool(row.get("imminent")), populations=tuple(row.get("populations") or ()),
                    lang=row.get("lang", "en"), source=source,
                ))
    return examples


def is_dev(example: Example) -> bool:
    """Deterministic development split: the same text is always on the same side."""
    digest = hashlib.sha256(" ".join(example.text.lower().split()).encode("utf-8")).digest()
    return digest[0] * 100 // 256 < DEV_PERCENT


def _situation_labels(examples: Sequence[Example], rows: Sequence[int]) -> List[str]:
    return [next((s for s in examples[i].labels if s in SITUATIONS), "suicidal") for i in rows]


def training_data_fingerprint(paths: Optional[Iterable[str]] = None) -> str:
    paths = sorted(paths if paths is not None else glob.glob(os.path.join(TRAINING_DIR, "*.jsonl")))
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.basename(path).encode())
        with open(path, "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:16]


def _normaliser() -> Normaliser:
    return Normaliser(os.path.join(DATA_DIR, "normalisation.yml"), ())


@dataclass(frozen=True)
class Scores:
    """The classifier's reading of one message (probabilities)."""

    clear: float  # the whole message is a clear risk
    imminent: float  # a life is in danger now (an attempt, an overdose taken, a medical emergency)
    clear_piece: float  # the most alarming sentence of a long message, read alone
    risk: float  # clear or uncertain (distress without explicit risk)
    situations: Dict[str, float]  # which situation, given that it is one (sums to 1)
    # who is writing (a veteran, a minor, ...), each its own probability; empty for older models
    populations: Dict[str, float] = field(default_factory=dict)


@dataclass
class SituationClassifier:
    """Three linear models over the same word and character n-grams:

    - `clear`: clear risk vs everything else, `risk`: clear or uncertain vs no risk, and
      `imminent`: a life in danger now vs everything else (its own gate, so that an emergency
      is never only "uncertain" and asked about instead of answered with 911). Binary
      gates see every example, so they are far better calibrated than one model per situation
      (per-situation models with balanced class weights raised alarms on half of the hard
      negatives of the development split; docs/RISK.md);
    - `situation`: which situation a clear message is (multinomial, trained on clear examples).
    - `population`: one binary model per population (veteran, minor, ...), beside the explicit
      cues of risk/patterns.py and risk/judge.py. In the first round such a model learnt the
      writers' styles, not the populations ("I want to kill myself" scored 0.92 "minor": one
      teenage writer carried that label); with eighteen writers and the spent test sets it scores
      that 0.06 and finds cues the patterns miss ("the rest of my squad", "my mom locks me in my
      room"): on the development split the population lines reached 52% of the risk messages
      labelled with a population instead of 40%, for 0.8% instead of 0.55% lines to others
      (scripts/sweep_risk.py population=...; docs/RISK.md).
    `scores()` is thread-safe.

    When trained with sentence embeddings, the same gates and situation model also exist over the
    all-MiniLM-L6-v2 embedding and are blended into the whole message's reading: on the development
    split (scripts/tune_risk.py --quick) the right resource went 88.6% -> 89.7% and false alarms
    6.4% -> 5.6%, imminent 95.2% -> 94.8% (docs/RISK.md). In the fourth round the gates got one
    hidden layer (encoder_hidden): right resource 92.3% -> 93.4%, false alarms 5.5% -> 3.8%.
    English only: the judge passes no embedding for Spanish, where the encoder lost recall."""

    word_vectorizer: object
    char_vectorizer: object
    features: str = "word+char"
    # the weights of every model side by side, so one sparse product scores them all
    coef: Optional[np.ndarray] = field(default=None, repr=False)
    intercept: Optional[np.ndarray] = field(default=None, repr=False)
    situation_names: Tuple[str, ...] = ()
    population_names: Tuple[str, ...] = ()  # their columns follow the situations' in `coef`
    # Sentence-embedding gates (trained when `train` gets embeddings): the same three gates over the
    # message's all-MiniLM-L6-v2 embedding (one hidden layer: weights and bias of each layer), and
    # the situation model as a linear model over it (columns as the situations' in `coef`), blended
    # with the n-gram reading of the whole message (ENCODER_WEIGHT, ENCODER_SITUATION_WEIGHT).
    encoder_hidden: Optional[Tuple[np.ndarray, np.ndarray]] = field(default=None, repr=False)
    encoder_gates: Optional[Tuple[np.ndarray, np.ndarray]] = field(default=None, repr=False)
    encoder_coef: Optional[np.ndarray] = field(default=None, repr=False)
    encoder_intercept: Optional[np.ndarray] = field(default=None, repr=False)
    _normalise: Optional[Normaliser] = field(default=None, repr=False, compare=False)

    @classmethod
    def train(cls, examples: Sequence[Example], c: float = 4.0, features: str = "word+char",
              seed: int = 2026,
              embeddings: Union[None, np.ndarray, Callable[[], np.ndarray]] = None) -> "SituationClassifier":
        """`embeddings` (one unit row per example) adds the sentence-embedding gates; without them
        the classifier reads n-grams only. Given as a function, it is called while the n-gram models
        fit: the situation model's fit runs on one thread for minutes, and embedding every example
        uses the idle core (same data, same seeds: the same model as with the array)."""
        if callable(embeddings):
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=1) as pool:
                fitting = pool.submit(cls._train_ngrams, examples, c, features, seed)
                embeddings = embeddings()
                model = fitting.result()
        else:
            model = cls._train_ngrams(examples, c, features, seed)
        if embeddings is not None:
            model._train_encoder_gates(examples, np.asarray(embeddings, dtype=np.float32), c, seed)
        return model

    def _train_encoder_gates(self, examples: Sequence[Example], embeddings: np.ndarray, c: float, seed: int) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.neural_network import MLPClassifier

        # The three gates share one hidden layer: a linear model over the embedding could not tell
        # "I attempted suicide at 17, I'm 38 now and well" from a disclosure (development split,
        # English, at the recall of 92%: false alarms 4.3% with linear gates, 2.1% with this layer)
        targets = np.array([[e.tier == "clear", e.tier != "none", e.tier == "clear" and e.imminent]
                            for e in examples], dtype=np.int8)
        gates = MLPClassifier(hidden_layer_sizes=(ENCODER_HIDDEN,), alpha=1e-3, early_stopping=True,
                              max_iter=200, random_state=seed).fit(embeddings, targets)
        self.encoder_hidden = (gates.coefs_[0].astype(np.float32), gates.intercepts_[0].astype(np.float32))
        self.encoder_gates = (gates.coefs_[1].astype(np.float32), gates.intercepts_[1].astype(np.float32))
        clear_rows = [i for i, e in enumerate(examples) if e.tier == "clear"]
        situation = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(
            embeddings[clear_rows], _situation_labels(examples, clear_rows))
        if tuple(situation.classes_) != self.situation_names:
            raise ValueError("the encoder's situations differ from the n-gram model's")
        self.encoder_coef = np.ascontiguousarray(situation.coef_.T.astype(np.float32))
        self.encoder_intercept = situation.intercept_.astype(np.float32)

    def _encoder_gate_logits(self, embedding: np.ndarray) -> np.ndarray:
        """clear, risk, imminent logits of the sentence embedding (the gates' hidden layer, ReLU)."""
        weights, bias = self.encoder_hidden
        hidden = np.maximum(embedding @ weights + bias, 0.0)
        weights, bias = self.encoder_gates
        return hidden @ weights + bias

    @classmethod
    def _train_ngrams(cls, examples: Sequence[Example], c: float, features: str, seed: int) -> "SituationClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        normalise = _normaliser()
        texts = [normalise(e.text) for e in examples]
        word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                               strip_accents="unicode", token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                               strip_accents="unicode", max_features=200_000, dtype=np.float32)
        matrix = _stack(word.fit_transform(texts) if "word" in features else None,
                        char.fit_transform(texts) if "char" in features else None)

        def binary(target: np.ndarray) -> Tuple[object, object, object]:
            return LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=seed), matrix, target

        clear_rows = [i for i, e in enumerate(examples) if e.tier == "clear"]
        # who writes is independent of the risk: every example teaches the population models
        population_names = tuple(p for p in POPULATIONS if any(p in e.populations for e in examples))
        fits = [(LogisticRegression(C=c, max_iter=3000, random_state=seed), matrix[clear_rows],  # the longest first
                 _situation_labels(examples, clear_rows)),
                binary(np.array([e.tier == "clear" for e in examples], dtype=np.int8)),
                binary(np.array([e.tier != "none" for e in examples], dtype=np.int8)),
                binary(np.array([e.tier == "clear" and e.imminent for e in examples], dtype=np.int8))]
        fits += [binary(np.array([p in e.populations for e in examples], dtype=np.int8)) for p in population_names]
        models = _fit_side_by_side(fits)
        situation_model, binaries, population_models = models[0], models[1:4], models[4:]
        coef = np.hstack([m.coef_.T for m in binaries] + [situation_model.coef_.T]
                         + [m.coef_.T for m in population_models]).astype(np.float32)
        intercept = np.concatenate([m.intercept_ for m in binaries] + [situation_model.intercept_]
                                   + [m.intercept_ for m in population_models]).astype(np.float32)
        # only the weights side by side are kept: the fitted models (float64, the situation model
        # alone 21 MB) and the n-grams the vectorizers cut (`stop_words_`, kept by scikit-learn
        # for inspection) are memory every Rasa worker would hold for nothing
        for vectorizer in (word, char):
            vectorizer.stop_words_ = None
        return cls(word_vectorizer=word if "word" in features else None,
                   char_vectorizer=char if "char" in features else None,
                   features=features, coef=np.ascontiguousarray(coef), intercept=intercept,
                   situation_names=tuple(situation_model.classes_), population_names=population_names)

    def _matrix(self, texts: List[str]):
        normalise = self._normalise or _normaliser()
        self._normalise = normalise
        texts = [normalise(t) for t in texts]
        return _stack(self.word_vectorizer.transform(texts) if self.word_vectorizer is not None else None,
                      self.char_vectorizer.transform(texts) if self.char_vectorizer is not None else None)

    def logits(self, texts: List[str]) -> np.ndarray:
        """Every model's raw outputs, one row per text (sklearn's own transform; the reference
        that `logits_fast` is tested against)."""
        return np.asarray(self._matrix(texts) @ self.coef) + self.intercept

    def _prepare_fast(self) -> None:
        """Analyzers, vocabularies and idf weights as plain Python/numpy objects: sklearn's
        transform builds several scipy matrices per call (about 2 ms a message), while the
        same arithmetic on a dict and a few numpy rows takes a fraction of that. The character
        n-grams (char_wb) never cross a word, so each word's vocabulary indices are worked out
        once and kept (a long message's sentences repeat its words, and messages repeat words)."""
        parts, offset = [], 0
        for vectorizer in (self.word_vectorizer, self.char_vectorizer):
            if vectorizer is None:
                continue
            if vectorizer.analyzer == "char_wb":
                grams = _WordCharGrams(vectorizer)
            else:
                grams = _Grams(vectorizer)
            parts.append((grams, vectorizer.idf_.astype(np.float32), offset))
            offset += len(vectorizer.vocabulary_)
        self._fast = parts

    def logits_fast(self, texts: List[str], normalised: bool = False) -> np.ndarray:
        """The same numbers as `logits` (a test checks it), computed sparsely."""
        if getattr(self, "_fast", None) is None:
            self._prepare_fast()
        normalise = self._normalise or _normaliser()
        self._normalise = normalise
        out = np.tile(self.intercept, (len(texts), 1)).astype(np.float32)
        for row, text in enumerate(texts):
            if not normalised:
                text = normalise(text)
            for grams, idf, offset in self._fast:
                counts = Counter(grams.indices(text))
                if not counts:
                    continue
                index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
                weights = (1.0 + np.log(tf)) * idf[index]
                weights /= np.sqrt(np.dot(weights, weights))
                out[row] += weights @ self.coef[index + offset]
        return out

    @property
    def reads_embeddings(self) -> bool:
        return self.encoder_coef is not None

    def scores(self, text: str, embedding: Optional[np.ndarray] = None) -> Scores:
        """`embedding`: the message's unit sentence embedding, when there is one (the NLU pipeline
        computes it for every message anyway); it is then blended into the whole message's reading."""
        normalise = self._normalise or _normaliser()
        self._normalise = normalise
        normalised = normalise(text)  # once; the pieces are parts of it
        pieces = [normalised[:WHOLE_MESSAGE_CHARS]] + long_message_sentences(normalised)
        raw = self.logits_fast(pieces, normalised=True)
        gates = 1.0 / (1.0 + np.exp(-raw[:, :N_GATES]))
        piece = 1 + int(np.argmax(gates[1:, 0])) if len(pieces) > 1 else 0
        clear_piece = float(gates[piece, 0]) if piece else 0.0
        # the situation of the whole message, or of the sentence that made it alarming
        source = piece if piece and clear_piece > gates[0, 0] else 0
        after_situations = N_GATES + len(self.situation_names)
        situations = _softmax(raw[source, N_GATES:after_situations])
        # a population cue anywhere in the message counts: the whole message's reading
        populations = 1.0 / (1.0 + np.exp(-raw[0, after_situations:]))
        # whole message: clear, risk (sentences read alone raise false alarms there, docs/RISK.md),
        # and imminent, where any sentence counts
        whole = np.array([raw[0, 0], raw[0, 1], raw[:, 2].max()], dtype=np.float32)
        if embedding is not None and self.encoder_coef is not None:
            embedding = np.asarray(embedding, dtype=np.float32).reshape(-1)
            whole = (1 - ENCODER_WEIGHT) * whole + ENCODER_WEIGHT * self._encoder_gate_logits(embedding)
            encoded = embedding @ self.encoder_coef + self.encoder_intercept
            situations = ((1 - ENCODER_SITUATION_WEIGHT) * situations
                          + ENCODER_SITUATION_WEIGHT * _softmax(encoded))
        clear, risk, imminent = (float(v) for v in 1.0 / (1.0 + np.exp(-whole)))
        return Scores(
            clear=clear,
            imminent=imminent,
            clear_piece=clear_piece,
            risk=risk,
            situations={name: float(p) for name, p in zip(self.situation_names, situations)},
            populations={name: float(p) for name, p in zip(self.population_names, populations)},
        )

    def save(self, path: str) -> None:
        self._normalise = None
        self._fast = None
        with open(path, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: str) -> "SituationClassifier":
        with open(path, "rb") as fh:
            loaded = pickle.load(fh)
        if not isinstance(loaded, SituationClassifier):
            raise TypeError(f"{path} does not hold a SituationClassifier")
        return loaded


class _Grams:
    """A fitted vectorizer's n-grams of a text, as vocabulary indices (out-of-vocabulary dropped)."""

    def __init__(self, vectorizer) -> None:
        self._analyzer = vectorizer.build_analyzer()
        self._vocabulary = vectorizer.vocabulary_

    def indices(self, text: str) -> List[int]:
        vocabulary = self._vocabulary
        return [vocabulary[g] for g in self._analyzer(text) if g in vocabulary]


class _WordCharGrams(_Grams):
    """The same for sklearn's char_wb analyzer, word by word with a bounded cache: its n-grams of
    a text are the concatenation of each whitespace-separated word's (sklearn's _char_wb_ngrams)."""

    CACHE_WORDS = 50_000

    def __init__(self, vectorizer) -> None:
        super().__init__(vectorizer)
        self._preprocess = vectorizer.build_preprocessor()
        self._min_n, self._max_n = vectorizer.ngram_range
        self._words: Dict[str, List[int]] = {}

    def indices(self, text: str) -> List[int]:
        out: List[int] = []
        words = self._words
        for word in self._preprocess(text).split():
            found = words.get(word)
            if found is None:
                found = self._word_indices(word)
                if len(words) >= self.CACHE_WORDS:
                    words.clear()  # thread-safe enough: a miss recomputes
                words[word] = found
            out.extend(found)
        return out

    def _word_indices(self, word: str) -> List[int]:
        padded, vocabulary = f" {word} ", self._vocabulary
        found = []
        for n in range(self._min_n, self._max_n + 1):
            if len(padded) < n:  # a short word counts once, at the smallest n (as sklearn)
                if n == self._min_n and padded in vocabulary:
                    found.append(vocabulary[padded])
                break
            for start in range(len(padded) - n + 1):
                gram = padded[start:start + n]
                if gram in vocabulary:
                    found.append(vocabulary[gram])
        return found


def _fit_side_by_side(fits: Sequence[Tuple[Any, Any, Any]]) -> List[Any]:
    """Fit independent models on every core, in threads (liblinear and most of lbfgs run without
    the GIL). Each fit is the one it would be alone: same data, same seed, same result. Training
    has the machine to itself, as in sentence_encoder/cache.py."""
    from joblib import Parallel, delayed

    return Parallel(n_jobs=os.cpu_count() or 1, prefer="threads")(
        delayed(model.fit)(features, target) for model, features, target in fits)


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


def _stack(*parts):
    from scipy.sparse import hstack

    parts = [p for p in parts if p is not None]
    return parts[0] if len(parts) == 1 else hstack(parts, format="csr")
