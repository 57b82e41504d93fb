"""Rule-based risk detector: spaCy (blank English + lookup lemmas) Matcher patterns
compiled from risk/data/patterns.yml, with negation, hypothetical/figurative
guards and population cues. Rasa-free so it can be unit-tested and benchmarked alone.

    >>> from risk import assess
    >>> assess("i want to kms").level
    'high'

The patterns DSL (see the header of patterns.yml) is compiled here because spaCy's
own pattern format is too verbose to review as a lexicon (hundreds of phrasings).
"""
from __future__ import annotations

import itertools
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from risk.constants import CATEGORIES, LEVEL_RANK, LEVELS, POPULATIONS
from risk.normalise import Normaliser

logger = logging.getLogger(__name__)

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
_LEVEL_RANK = LEVEL_RANK
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
# Too frequent to make a good trigger word for a matcher.
_COMMON_WORDS = frozenset({"i", "be", "to", "the", "a", "my", "me", "not", "do", "have", "of", "in", "on",
                           "and", "it", "that", "this", "you", "for", "with", "at", "will", "would", "can",
                           "he", "she", "they", "so", "just", "want", "feel", "all", "get", "go", "no"})
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
        return _LEVEL_RANK[self.level] >= _LEVEL_RANK["high"]

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
class _PatternInfo:
    id: str
    category: str
    level: str
    negatable: bool = True
    act: bool = False
    topic: bool = False
    unless: Tuple[str, ...] = ()
    not_followed_by: Tuple[Tuple[str, ...], ...] = ()
    min_number: Optional[int] = None


@dataclass
class _Hit:
    info: _PatternInfo
    level: str
    category: str


class RiskDetectorCore:
    """Loads the data files once; `assess()` is thread-safe and allocation-light."""

    def __init__(self, data_dir: str = DATA_DIR) -> None:
        with open(os.path.join(data_dir, "patterns.yml"), encoding="utf-8") as fh:
            self._data = yaml.safe_load(fh)
        self._nlp = spacy.blank("en")
        lemmatizer = self._nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        self._nlp.initialize()
        self._lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
        self._lock = threading.Lock()  # spaCy's Matcher is not documented as thread-safe

        data = self._data
        _reject_non_strings(data)
        self._classes: Dict[str, List[str]] = {k: [str(w) for w in v] for k, v in data["classes"].items()}
        self._guards: Dict[str, Set[str]] = {k: {str(w) for w in v} for k, v in data["guards"].items()}
        self._informational = {str(w) for w in data["informational"]}
        self._first_person = {str(w) for w in data["first_person"]}
        self._neg_cues = {str(w) for w in data["negation"]["cues"]}
        self._neg_bridge = {str(w) for w in data["negation"]["bridge"]}
        self._hyper_cues = {str(w) for w in data["hyperbole"]["cues"]}
        self._hyper_phrases = [str(p) for p in data["hyperbole"]["phrases"]]
        self._hyper_categories = set(data["hyperbole_categories"])
        self._imminence = [str(p) for p in data["imminence"]]
        self._precedence = list(data["precedence"])
        self._lemma_overrides: Dict[str, str] = {
            str(k): str(v) for k, v in (data.get("lemma_overrides") or {}).items()
        }

        self._key_patterns: Dict[str, List[List[Dict[str, Any]]]] = {}
        self._infos: Dict[str, _PatternInfo] = {}
        vocabulary: Set[str] = set()
        for raw in data["patterns"]:
            info = _PatternInfo(
                id=raw["id"],
                category=raw["category"],
                level=raw["level"],
                negatable=raw.get("negatable", True),
                act=raw.get("act", False),
                topic=raw.get("topic", False),
                unless=tuple(raw.get("unless") or ()),
                not_followed_by=tuple(tuple(str(w).split()) for w in raw.get("not_followed_by") or ()),
                min_number=raw.get("min_number"),
            )
            if info.category not in CATEGORIES or info.level not in LEVELS[1:]:
                raise ValueError(f"pattern {info.id}: bad category/level")
            for guard in info.unless:
                if guard not in self._guards:
                    raise ValueError(f"pattern {info.id}: unknown guard class {guard!r}")
            self._infos[info.id] = info
            self._add_phrases(info.id, raw["phrases"], vocabulary)
        for population, phrases in data["populations"].items():
            if population not in POPULATIONS:
                raise ValueError(f"unknown population {population!r}")
            self._add_phrases(f"pop.{population}", phrases, vocabulary)

        self._matchers = [m for key, pats in self._key_patterns.items() for m in self._build_matchers(key, pats)]

        self._places = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._places.add("outside_us_place", [self._nlp.make_doc(str(p)) for p in data["outside_us_places"]])
        self._place_exclude = {str(w) for w in data["outside_us_exclude_before"]}

        known = set(self._lemma_table.keys()) if hasattr(self._lemma_table, "keys") else set()
        self._normalise = Normaliser(os.path.join(data_dir, "normalisation.yml"), known | vocabulary)

    # ------------------------------------------------------------------ compiling
    def _lemma(self, word: str) -> str:
        if word in self._lemma_overrides:
            return self._lemma_overrides[word]
        return self._lemma_table.get(word, word)

    def _word_sequence(self, word: str, exact: bool) -> List[Dict[str, Any]]:
        """One written word -> token specs (the tokenizer may split it: "won't" -> wo + n't)."""
        specs = []
        for tok in self._nlp.make_doc(word.lower()):
            text = tok.text
            if exact:
                specs.append({"LOWER": text})
            else:
                specs.append({"LEMMA": {"IN": sorted({text, self._lemma(text)})}})
        return specs

    def _alternatives(self, token: str, vocabulary: Set[str]) -> List[List[Dict[str, Any]]]:
        """All token-spec sequences one phrase position can match."""
        if token == "#num":
            return [[{"LIKE_NUM": True}]]
        words: List[Tuple[str, bool]] = []
        if token.startswith("(") and token.endswith(")"):
            token = token[1:-1]  # a group: alternatives may be several words
        for alt in token.split("|"):
            alt = alt.strip()
            if alt.startswith("@"):
                name = alt[1:]
                if name not in self._classes:
                    raise ValueError(f"unknown class @{name}")
                words.extend((w, False) for w in self._classes[name])
            elif alt.startswith("=") and len(alt) > 1:
                words.append((alt[1:], True))
            else:
                words.append((alt, False))
        single_lemmas: Set[str] = set()
        sequences: List[List[Dict[str, Any]]] = []
        for word, exact in words:
            vocabulary.update(word.lower().split())
            seq = self._word_sequence(word, exact)
            if len(seq) == 1 and not exact:
                single_lemmas.update(seq[0]["LEMMA"]["IN"])
            else:
                sequences.append(seq)
        if single_lemmas:
            sequences.insert(0, [{"LEMMA": {"IN": sorted(single_lemmas)}}])
        return sequences

    def _add_phrases(self, key: str, phrases: Iterable[str], vocabulary: Set[str]) -> None:
        patterns = []
        for phrase in phrases:
            positions: List[List[List[Dict[str, Any]]]] = []
            for token in re.findall(r"\([^)]*\)\??|\S+", str(phrase)):
                gap = re.fullmatch(r"\*([1-4])", token)
                if gap:
                    positions.append([[{"OP": "?"}] * int(gap.group(1))])
                    continue
                optional = token.endswith("?") and len(token) > 1
                if optional:
                    token = token[:-1]
                alts = self._alternatives(token, vocabulary)
                if optional:
                    if len(alts) == 1 and len(alts[0]) == 1:
                        alts = [[dict(alts[0][0], OP="?")]]
                    else:
                        alts = alts + [[]]
                positions.append(alts)
            expanded = list(itertools.product(*positions))
            if len(expanded) > 400:
                raise ValueError(f"{key}: phrase {phrase!r} expands to {len(expanded)} patterns")
            for combo in expanded:
                pattern = [spec for seq in combo for spec in seq]
                if pattern and any("OP" not in spec for spec in pattern):
                    patterns.append(pattern)
        self._key_patterns.setdefault(key, []).extend(patterns)

    def _build_matchers(self, key: str, patterns: List[List[Dict[str, Any]]]) -> List[Tuple[Matcher, Optional[Set[str]]]]:
        """Matchers for one pattern id, each with the words that must occur for its
        patterns to match at all (the rarest required word of each pattern), so a
        message only runs the few matchers its words can trigger. One Matcher with
        every pattern costs ~2 ms a message; this keeps the detector well under."""
        groups: Dict[Optional[frozenset], List[List[Dict[str, Any]]]] = {}
        for pattern in patterns:
            anchors = [_spec_words(spec) for spec in pattern if "OP" not in spec]
            anchors = [a for a in anchors if a]
            anchor: Optional[frozenset] = None  # e.g. only a number: always run
            if anchors:
                anchors.sort(key=lambda a: (bool(a & _COMMON_WORDS), len(a)))
                anchor = frozenset(anchors[0])
            groups.setdefault(anchor, []).append(pattern)
        built = []
        for anchor, group in groups.items():
            matcher = Matcher(self._nlp.vocab)
            matcher.add(key, group)
            built.append((matcher, None if anchor is None else set(anchor)))
        return built

    # ------------------------------------------------------------------ helpers
    def _is_negated(self, ctx: "_DocView", start: int) -> bool:
        clause_start = ctx.clause_start[start] if start < len(ctx.lowers) else start
        j = start - 1
        while j >= clause_start and start - j <= 6:
            if ctx.lowers[j] in self._neg_cues or ctx.lemmas[j] in self._neg_cues:
                return True
            if ctx.lowers[j] not in self._neg_bridge and ctx.lemmas[j] not in self._neg_bridge:
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
        normalised = self._normalise(text)
        with self._lock:
            doc = self._nlp(normalised)
            for tok in doc:
                override = self._lemma_overrides.get(tok.lower_)
                if override is not None:
                    tok.lemma_ = override
            ctx = _DocView(doc)
            matches = []
            # sentence by sentence: a long message then only runs, on each sentence,
            # the matchers that sentence's words can trigger
            for s_start, s_end in ctx.sentence_spans():
                present = set(ctx.lemmas[s_start:s_end]) | set(ctx.lowers[s_start:s_end])
                span = doc[s_start:s_end]
                for matcher, trigger in self._matchers:
                    if trigger is None or not trigger.isdisjoint(present):
                        matches.extend((m, s_start + a, s_start + b) for m, a, b in matcher(span))
            place_matches = self._places(doc)

        hits: Dict[str, _Hit] = {}
        suppressed: Set[str] = set()
        populations: Set[str] = set()
        for match_id, start, end in matches:
            key = self._nlp.vocab.strings[match_id]
            if key.startswith("pop."):
                # "I'm not a veteran": a cue inside a wildcard gap counts too (outside_us
                # phrases contain "not" on purpose: "I'm not in the US")
                inner_negation = key != "pop.outside_us" and any(t.lower_ in self._neg_cues or t.lemma_ in self._neg_cues for t in doc[start:end])
                if not inner_negation and not self._is_negated(ctx, start):
                    populations.add(key[4:])
                continue
            hit = self._judge(ctx, self._infos[key], start, end)
            if hit is None:
                suppressed.add(key)
                continue
            if _LEVEL_RANK[hit.level] < _LEVEL_RANK[self._infos[key].level]:
                suppressed.add(key)  # lowered by hyperbole or an informational context
            previous = hits.get(key)
            if previous is None or _LEVEL_RANK[hit.level] > _LEVEL_RANK[previous.level]:
                hits[key] = hit

        for _, start, end in place_matches:
            before = doc[start - 1].lower_ if start > 0 else ""
            before2 = doc[start - 2].lower_ if start > 1 else ""
            if before in self._place_exclude:
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
        top = max(_LEVEL_RANK[h.level] for h in hits.values())
        top_level = LEVELS[top]
        top_categories = {h.category for h in hits.values() if _LEVEL_RANK[h.level] == top}
        category = next(c for c in self._precedence if c in top_categories)
        signals = tuple(sorted(hits))
        lowered = tuple(sorted(suppressed & set(hits)))
        return RiskAssessment(category=category, level=top_level, population=population, signals=signals,
                              suppressed=tuple(sorted(set(cancelled) | set(lowered))))

    def _judge(self, ctx: "_DocView", info: _PatternInfo, start: int, end: int) -> Optional[_Hit]:
        if info.min_number is not None and not self._number_ok(ctx, start, end, info.min_number):
            return None
        if info.not_followed_by and self._followed_by(ctx, end, info.not_followed_by):
            return None
        if info.negatable and self._is_negated(ctx, start):
            return None
        words, sentence_text = ctx.sentence(start)
        for guard in info.unless:
            guard_words = self._guards[guard]
            if not words.isdisjoint(guard_words) or self._contains_phrase(
                sentence_text, (g for g in guard_words if " " in g)
            ):
                return None
        level, category = info.level, info.category
        if info.topic and level == "high":
            informational = not words.isdisjoint(self._informational) or self._contains_phrase(
                sentence_text, (w for w in self._informational if " " in w)
            )
            if informational and words.isdisjoint(self._first_person):
                level = "concern"
        if level == "high" and category in self._hyper_categories:
            if not words.isdisjoint(self._hyper_cues) or self._contains_phrase(sentence_text, self._hyper_phrases):
                level = "concern"
        if level == "high" and info.act and self._contains_phrase(sentence_text, self._imminence):
            level, category = "imminent", "imminent_danger"
        if level == "imminent":
            category = "imminent_danger"
        return _Hit(info=info, level=level, category=category)


def _spec_words(spec: Dict[str, Any]) -> Set[str]:
    """The words a required token spec accepts (empty when it is not a word test)."""
    if "LOWER" in spec:
        return {spec["LOWER"]}
    lemma = spec.get("LEMMA")
    return set(lemma["IN"]) if isinstance(lemma, dict) else set()


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


def _reject_non_strings(data: Dict[str, Any]) -> None:
    """YAML reads bare no/yes/on/off as booleans; in a word list that silently drops a word."""
    flags = {"negatable", "act", "topic", "min_number"}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in flags:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)
        elif not isinstance(node, str):
            raise ValueError(f"patterns.yml {where}: {node!r} is not a string (quote it)")

    walk(data, "")


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
