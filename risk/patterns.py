"""Loading and compiling the risk patterns: risk/data/patterns.yml (phrases, word classes,
guards, population cues) and normalisation.yml become spaCy Matchers once per process.
Judging a message with them is risk/detector.py's job.

The patterns DSL (see the header of patterns.yml) is compiled here because spaCy's own
pattern format is too verbose to review as a lexicon (hundreds of phrasings).
"""
from __future__ import annotations

import itertools
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import spacy
import yaml
from spacy.matcher import Matcher, PhraseMatcher

from risk.constants import CATEGORIES, LEVELS, POPULATIONS
from risk.normalise import Normaliser

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
# Too frequent to make a good trigger word for a matcher.
_COMMON_WORDS = frozenset({"i", "be", "to", "the", "a", "my", "me", "not", "do", "have", "of", "in", "on",
                           "and", "it", "that", "this", "you", "for", "with", "at", "will", "would", "can",
                           "he", "she", "they", "so", "just", "want", "feel", "all", "get", "go", "no"})


@dataclass
class PatternInfo:
    id: str
    category: str
    level: str
    negatable: bool = True
    act: bool = False
    topic: bool = False
    unless: Tuple[str, ...] = ()
    not_followed_by: Tuple[Tuple[str, ...], ...] = ()
    min_number: Optional[int] = None


class PatternSet:
    """The compiled patterns, lexicon and guards of one data folder (read-only once built)."""

    def __init__(self, data_dir: str = DATA_DIR) -> None:
        with open(os.path.join(data_dir, "patterns.yml"), encoding="utf-8") as fh:
            self.data = yaml.safe_load(fh)
        self.nlp = spacy.blank("en")
        lemmatizer = self.nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        self.nlp.initialize()
        self.lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
        self.lock = threading.Lock()  # spaCy's Matcher is not documented as thread-safe

        data = self.data
        _reject_non_strings(data)
        self.classes: Dict[str, List[str]] = {k: [str(w) for w in v] for k, v in data["classes"].items()}
        self.guards: Dict[str, Set[str]] = {k: {str(w) for w in v} for k, v in data["guards"].items()}
        self.informational = {str(w) for w in data["informational"]}
        self.first_person = {str(w) for w in data["first_person"]}
        self.neg_cues = {str(w) for w in data["negation"]["cues"]}
        self.neg_bridge = {str(w) for w in data["negation"]["bridge"]}
        self.hyper_cues = {str(w) for w in data["hyperbole"]["cues"]}
        self.hyper_phrases = [str(p) for p in data["hyperbole"]["phrases"]]
        self.hyper_categories = set(data["hyperbole_categories"])
        self.imminence = [str(p) for p in data["imminence"]]
        self.precedence = list(data["precedence"])
        self.lemma_overrides: Dict[str, str] = {
            str(k): str(v) for k, v in (data.get("lemma_overrides") or {}).items()
        }

        self.key_patterns: Dict[str, List[List[Dict[str, Any]]]] = {}
        self.infos: Dict[str, PatternInfo] = {}
        vocabulary: Set[str] = set()
        for raw in data["patterns"]:
            info = PatternInfo(
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
                if guard not in self.guards:
                    raise ValueError(f"pattern {info.id}: unknown guard class {guard!r}")
            self.infos[info.id] = info
            self._add_phrases(info.id, raw["phrases"], vocabulary)
        for population, phrases in data["populations"].items():
            if population not in POPULATIONS:
                raise ValueError(f"unknown population {population!r}")
            self._add_phrases(f"pop.{population}", phrases, vocabulary)

        self.matchers = [m for key, pats in self.key_patterns.items() for m in self._build_matchers(key, pats)]
        # which matchers a word can trigger (a sentence looks up its own words instead of testing
        # every matcher's words against it), and those that always run
        self.always_run = tuple(i for i, (_, trigger) in enumerate(self.matchers) if trigger is None)
        self.triggered_by: Dict[str, Tuple[int, ...]] = {}
        for i, (_, trigger) in enumerate(self.matchers):
            for word in trigger or ():
                self.triggered_by[word] = self.triggered_by.get(word, ()) + (i,)

        self.places = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.places.add("outside_us_place", [self.nlp.make_doc(str(p)) for p in data["outside_us_places"]])
        self.place_exclude = {str(w) for w in data["outside_us_exclude_before"]}

        known = set(self.lemma_table.keys()) if hasattr(self.lemma_table, "keys") else set()
        self.normalise = Normaliser(os.path.join(data_dir, "normalisation.yml"), known | vocabulary)

    # ------------------------------------------------------------------ compiling
    def _lemma(self, word: str) -> str:
        if word in self.lemma_overrides:
            return self.lemma_overrides[word]
        return self.lemma_table.get(word, word)

    def _word_sequence(self, word: str, exact: bool) -> List[Dict[str, Any]]:
        """One written word -> token specs (the tokenizer may split it: "won't" -> wo + n't)."""
        specs = []
        for tok in self.nlp.make_doc(word.lower()):
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
                if name not in self.classes:
                    raise ValueError(f"unknown class @{name}")
                words.extend((w, False) for w in self.classes[name])
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
        self.key_patterns.setdefault(key, []).extend(patterns)

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
            # No schema check here (spaCy's default): it took 0.5-0.8 s of every Rasa worker's start,
            # and the token specs are written by this module in four fixed forms (LOWER, LEMMA IN,
            # LIKE_NUM, OP), the data giving only the words. tests/crisis/test_detector.py checks
            # every compiled pattern against spaCy's schema.
            matcher = Matcher(self.nlp.vocab, validate=False)
            matcher.add(key, group)
            built.append((matcher, None if anchor is None else set(anchor)))
        return built

def _spec_words(spec: Dict[str, Any]) -> Set[str]:
    """The words a required token spec accepts (empty when it is not a word test)."""
    if "LOWER" in spec:
        return {spec["LOWER"]}
    lemma = spec.get("LEMMA")
    return set(lemma["IN"]) if isinstance(lemma, dict) else set()


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


