"""The explicit-pattern layer of the risk core: judges a message with the compiled
patterns of risk/patterns.py (negation, hypothetical/figurative guards, informational
topics, imminence and population cues). Precise by design; the trained classifier
(risk/classifier.py) brings the recall. Rasa-free so it can be tested and benchmarked alone.

    >>> from risk.detector import assess
    >>> assess("i want to kms").level
    'high'
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from spacy.tokens import Doc

from risk.constants import EMERGENCY_SITUATIONS, LEVEL_RANK, LEVELS, POPULATIONS
from risk.patterns import DATA_DIR, PatternInfo, PatternSet

logger = logging.getLogger(__name__)

# Messages longer than this are only read up to here: a crisis message is short,
# and this keeps a pasted book from stalling the NLU pipeline.
MAX_CHARS = 20_000

_CLAUSE_BREAKS = {",", ";", ":", ".", "!", "?", "-", "--", "\n", "but", "and", "so", "because",
                  "though", "although", "yet", "cause", "however", "still", "anyway", "tbh"}
_SENTENCE_BREAKS = {".", "!", "?", "\n"}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100, "dozen": 12, "dozens": 24,
}
_ADULT_AGE = re.compile(r"\bi(?:'m| am) (\d{2})\b|\b(\d{2}) ?(?:years old|yo|y/o)\b")


@dataclass(frozen=True)
class RiskAssessment:
    """The verdict on one message. `signals` are pattern ids, never message text."""

    category: Optional[str]
    level: str
    population: Tuple[str, ...] = ()
    signals: Tuple[str, ...] = ()
    # ids of patterns that matched but were cancelled (negation, figurative guard,
    # hyperbole, informational topic): evidence that a risk word was NOT meant as risk
    suppressed: Tuple[str, ...] = ()

    @property
    def is_risk(self) -> bool:
        return LEVEL_RANK[self.level] >= LEVEL_RANK["high"]

    def as_dict(self) -> Dict[str, Any]:
        return {
            "category": self.category,
            "level": self.level,
            "population": list(self.population),
            "signals": list(self.signals),
            "suppressed": list(self.suppressed),
        }


NO_RISK = RiskAssessment(category=None, level="none")


@dataclass
class _Hit:
    info: PatternInfo
    level: str
    category: str


class RiskDetectorCore:
    """Judges messages with a PatternSet; `assess()` is thread-safe and allocation-light."""

    def __init__(self, data_dir: str = DATA_DIR) -> None:
        self.p = PatternSet(data_dir)
        self._lock = threading.Lock()  # spaCy's Matcher is not documented as thread-safe

    # ------------------------------------------------------------------ helpers
    def _is_negated(self, ctx: "_DocView", start: int) -> bool:
        clause_start = ctx.clause_start[start] if start < len(ctx.lowers) else start
        j = start - 1
        while j >= clause_start and start - j <= 6:
            if ctx.lowers[j] in self.p.neg_cues or ctx.lemmas[j] in self.p.neg_cues:
                return True
            if ctx.lowers[j] not in self.p.neg_bridge and ctx.lemmas[j] not in self.p.neg_bridge:
                return False
            j -= 1
        return False

    @staticmethod
    def _contains_phrase(sentence_text: str, phrases: Iterable[str]) -> bool:
        padded = f" {sentence_text} "
        return any(f" {p} " in padded for p in phrases)

    @staticmethod
    def _number_ok(ctx: "_DocView", start: int, end: int, minimum: int) -> bool:
        for i in range(start, end):
            if ctx.like_num[i]:
                text = ctx.lowers[i].replace(",", "")
                value = int(text) if text.isdigit() else _NUMBER_WORDS.get(text)
                return value is None or value >= minimum
        return True

    @staticmethod
    def _followed_by(ctx: "_DocView", end: int, words: Tuple[Tuple[str, ...], ...]) -> bool:
        n = len(ctx.lowers)
        for seq in words:
            if end + len(seq) <= n and all(
                ctx.lowers[end + i] == w or ctx.lemmas[end + i] == w for i, w in enumerate(seq)
            ):
                return True
        return False

    # ------------------------------------------------------------------ assess
    def assess(self, text: Optional[str]) -> RiskAssessment:
        if text is None:
            return NO_RISK
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        text = text[:MAX_CHARS]
        if not text.strip():
            return NO_RISK
        normalised = self.p.normalise(text)
        with self._lock:
            doc = self.p.nlp(normalised)
            for tok in doc:
                override = self.p.lemma_overrides.get(tok.lower_)
                if override is not None:
                    tok.lemma_ = override
            ctx = _DocView(doc)
            matches = []
            # sentence by sentence: a long message then only runs, on each sentence,
            # the matchers that sentence's words can trigger
            for s_start, s_end in ctx.sentence_spans():
                candidates = set(self.p.always_run)
                for word in set(ctx.lemmas[s_start:s_end]) | set(ctx.lowers[s_start:s_end]):
                    candidates.update(self.p.triggered_by.get(word, ()))
                span = doc[s_start:s_end]
                for index in sorted(candidates):
                    matches.extend((m, s_start + a, s_start + b) for m, a, b in self.p.matchers[index][0](span))
            place_matches = self.p.places(doc)

        hits: Dict[str, _Hit] = {}
        suppressed: Set[str] = set()
        populations: Set[str] = set()
        for match_id, start, end in matches:
            key = self.p.nlp.vocab.strings[match_id]
            if key.startswith("pop."):
                # "I'm not a veteran": a cue inside a wildcard gap counts too (outside_us
                # phrases contain "not" on purpose: "I'm not in the US")
                inner_negation = key != "pop.outside_us" and any(t.lower_ in self.p.neg_cues or t.lemma_ in self.p.neg_cues for t in doc[start:end])
                if not inner_negation and not self._is_negated(ctx, start):
                    populations.add(key[4:])
                continue
            hit = self._judge(ctx, self.p.infos[key], start, end)
            if hit is None:
                suppressed.add(key)
                continue
            if LEVEL_RANK[hit.level] < LEVEL_RANK[self.p.infos[key].level]:
                suppressed.add(key)  # lowered by hyperbole or an informational context
            previous = hits.get(key)
            if previous is None or LEVEL_RANK[hit.level] > LEVEL_RANK[previous.level]:
                hits[key] = hit

        for _, start, end in place_matches:
            before = doc[start - 1].lower_ if start > 0 else ""
            before2 = doc[start - 2].lower_ if start > 1 else ""
            if before in self.p.place_exclude:
                continue
            if before in ("in", "from") or (before == "the" and before2 in ("in", "from")):
                if not self._is_negated(ctx, start - 1 if before != "the" else start - 2):
                    populations.add("outside_us")

        if "lgbtq_youth" in populations:
            for match in _ADULT_AGE.finditer(normalised):
                age = int(match.group(1) or match.group(2))
                if age >= 25:
                    populations.discard("lgbtq_youth")

        population = tuple(p for p in POPULATIONS if p in populations)
        cancelled = tuple(sorted(suppressed - set(hits)))
        if not hits:
            return RiskAssessment(category=None, level="none", population=population, suppressed=cancelled)
        top = max(LEVEL_RANK[h.level] for h in hits.values())
        top_level = LEVELS[top]
        top_categories = {h.category for h in hits.values() if LEVEL_RANK[h.level] == top}
        category = next(c for c in self.p.precedence if c in top_categories)
        signals = tuple(sorted(hits))
        lowered = tuple(sorted(suppressed & set(hits)))
        return RiskAssessment(category=category, level=top_level, population=population, signals=signals,
                              suppressed=tuple(sorted(set(cancelled) | set(lowered))))

    def _judge(self, ctx: "_DocView", info: PatternInfo, start: int, end: int) -> Optional[_Hit]:
        if info.min_number is not None and not self._number_ok(ctx, start, end, info.min_number):
            return None
        if info.not_followed_by and self._followed_by(ctx, end, info.not_followed_by):
            return None
        if info.negatable and self._is_negated(ctx, start):
            return None
        words, sentence_text = ctx.sentence(start)
        for guard in info.unless:
            guard_words = self.p.guards[guard]
            if not words.isdisjoint(guard_words) or self._contains_phrase(
                sentence_text, (g for g in guard_words if " " in g)
            ):
                return None
        level, category = info.level, info.category
        if info.topic and level == "high":
            informational = not words.isdisjoint(self.p.informational) or self._contains_phrase(
                sentence_text, (w for w in self.p.informational if " " in w)
            )
            if informational and words.isdisjoint(self.p.first_person):
                level = "concern"
        if level in ("high", "imminent") and category in self.p.hyper_categories:
            if not words.isdisjoint(self.p.hyper_cues) or self._contains_phrase(sentence_text, self.p.hyper_phrases):
                level = "concern"
        if level == "high" and info.act and self._contains_phrase(sentence_text, self.p.imminence):
            level, category = "imminent", "imminent_danger"
        if level == "imminent" and category not in EMERGENCY_SITUATIONS:
            category = "imminent_danger"
        return _Hit(info=info, level=level, category=category)


class _DocView:
    """Plain-Python views of a Doc computed once per message (token access through
    spaCy objects is slow when repeated for every match)."""

    def __init__(self, doc: Doc) -> None:
        self.lowers = [t.lower_ for t in doc]
        self.lemmas = [t.lemma_ for t in doc]
        self.like_num = [t.like_num for t in doc]
        n = len(self.lowers)
        self.clause_start = [0] * n
        self.sentence_start = [0] * n
        clause = sentence = 0
        for i, word in enumerate(self.lowers):
            if word in _CLAUSE_BREAKS:
                clause = i + 1
            if word in _SENTENCE_BREAKS:
                sentence = i + 1
            self.clause_start[i] = clause
            self.sentence_start[i] = sentence
        self.sentence_end = [n] * n
        end = n
        for i in range(n - 1, -1, -1):
            if self.lowers[i] in _SENTENCE_BREAKS:
                end = i
            self.sentence_end[i] = end
        self._sentences: Dict[int, Tuple[Set[str], str]] = {}

    def sentence_spans(self) -> List[Tuple[int, int]]:
        """(start, end) of each sentence, sentence-ending punctuation included."""
        spans, start, n = [], 0, len(self.lowers)
        for i, word in enumerate(self.lowers):
            if word in _SENTENCE_BREAKS:
                spans.append((start, i + 1))
                start = i + 1
        if start < n:
            spans.append((start, n))
        return spans

    def sentence(self, index: int) -> Tuple[Set[str], str]:
        """(words and lemmas, text) of the sentence holding token `index`."""
        start = self.sentence_start[index]
        cached = self._sentences.get(start)
        if cached is None:
            end = self.sentence_end[index]
            lowers = self.lowers[start:end]
            cached = (set(lowers) | set(self.lemmas[start:end]), " ".join(lowers))
            self._sentences[start] = cached
        return cached


_detector: Optional[RiskDetectorCore] = None
_detector_lock = threading.Lock()


def get_detector() -> RiskDetectorCore:
    """The process-wide detector, built on first use (about a second) and reused."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                _detector = RiskDetectorCore()
    return _detector


def assess(text: Optional[str]) -> RiskAssessment:
    return get_detector().assess(text)
