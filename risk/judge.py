"""The layered verdict on one message: explicit patterns for precision, the trained situation
classifier for recall, clause by clause, plus the person's language and population cues.

    clear      a situation's crisis reply, at once
    uncertain  distress without explicit risk: ask directly (the screening question)
    none       the normal answer, nothing added

Thresholds live in risk/data/judge.yml, tuned on the development split only
(scripts/tune_risk.py). Conversation context (risk building over several turns, answers to
the screening question) is risk/dialogue.py's job.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import yaml

from risk.classifier import SituationClassifier
from risk.constants import EMERGENCY_SITUATIONS, LEVEL_RANK, POPULATIONS
from risk.language import language_of

SETTINGS_FILE = os.path.join(os.path.dirname(__file__), "data", "judge.yml")
# Only so much of a message is judged: a crisis message is short, and this bounds the work a
# pasted book can cause (tens of milliseconds at this length; see docs/RISK.md).
MAX_CHARS = 2_000
# "??????" x 10,000 took spaCy's tokenizer seconds: a character repeated more than three times,
# or a run of punctuation longer than six, says nothing more when cut short.
_REPEATS = re.compile(r"(.)\1{3,}", re.DOTALL)
_PUNCTUATION_RUN = re.compile(r"([^\w\s]{6})[^\w\s]+")
SHORT_MESSAGE_WORDS = 7
# "I'm 15", "im 14 years old", "tengo 16 años": a stated age under 18 marks a minor.
_MINOR_AGE = re.compile(
    r"\b(?:i'?m|i am|im|am|tengo)\s+(1[0-7]|[6-9])(?:\s*(?:years?(?:\s+old)?|yrs?|yo|y/o|años|anos))?\b"
    r"|\b(1[0-7]|[6-9])\s*(?:yo|y/o|years old|años)\b"
    r"|\bi'?m in (?:middle school|junior high|high school|[6-9]th grade|1[0-2]th grade)\b"
    r"|\b(?:my|our) (?:middle school|high school|homeroom)\b"
    r"|\bin (?:[6-9]th|1[0-2]th) grade\b|\b(?:estoy en la secundaria|en la prepa)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    tier: str = "none"  # none | uncertain | clear
    situations: Tuple[str, ...] = ()  # the situation, and a runner-up whose resource differs
    level: str = "none"  # none | concern | high | imminent
    populations: Tuple[str, ...] = ()
    lang: Optional[str] = None  # None: too short to tell
    signals: Tuple[str, ...] = ()  # pattern ids and "clf.<label>", never message text
    score: float = 0.0  # the classifier's probability of clear risk
    distress: float = 0.0  # its probability of risk or distress (clear or uncertain)

    @property
    def situation(self) -> Optional[str]:
        return self.situations[0] if self.situations else None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "tier": self.tier,
            "category": self.situation,
            "situations": list(self.situations),
            "level": self.level,
            "population": list(self.populations),
            "lang": self.lang,
            "signals": list(self.signals),
            "score": round(self.score, 4),
            "distress": round(self.distress, 4),
        }


@functools.lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    with open(SETTINGS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class RiskJudge:
    """Combines the pattern detector and the classifier. Thread-safe once built."""

    def __init__(self, classifier: Optional[SituationClassifier], detector: Any = None,
                 thresholds: Optional[Dict[str, float]] = None) -> None:
        if detector is None:
            from risk.detector import get_detector

            detector = get_detector()
        self._detector = detector
        self._classifier = classifier
        t = {**settings()["thresholds"], **(thresholds or {})}
        self.clear = float(t["clear"])
        self.clear_short = float(t["clear_short"])
        self.clear_piece = float(t["clear_piece"])
        self.uncertain = float(t["uncertain"])
        self.pattern_agree = float(t["pattern_agree"])
        self.also = float(t["also"])
        self.imminent = float(t["imminent"])
        self.population = float(t["population"])

    def judge(self, text: Optional[str], embedding: Any = None) -> Verdict:
        """`embedding`: the message's unit sentence embedding (all-MiniLM-L6-v2), if the caller has
        it; the classifier then stacks it onto its n-gram reading of the whole message."""
        if not isinstance(text, str) or not text.strip():
            return Verdict()
        # a lone surrogate (valid in JSON, "\ud800") is not text any library can encode: it became an
        # exception in spaCy and a crisis message went unjudged
        text = text[:MAX_CHARS * 4].encode("utf-8", "replace").decode("utf-8")
        text = _PUNCTUATION_RUN.sub(r"\1", _REPEATS.sub(r"\1\1\1", text))[:MAX_CHARS]
        found = self._detector.assess(text)
        lang = language_of(text)
        populations = set(found.population)
        if _MINOR_AGE.search(text):
            populations.add("minor")
        signals = list(found.signals)
        # the encoder is English-only: a Spanish message is read by its n-grams alone
        if lang == "es":
            embedding = None
        scores = self._classifier.scores(text, embedding) if self._classifier is not None else None
        clear = risk = 0.0
        situation: Optional[str] = None
        ranked: Tuple[str, ...] = ()
        if scores is not None:
            clear, risk = max(scores.clear, scores.clear_piece), scores.risk
            ranked = tuple(sorted(scores.situations, key=scores.situations.get, reverse=True))
            populations |= {p for p, probability in scores.populations.items() if probability >= self.population}
            emergency = scores.imminent >= self.imminent
            # a few words give n-grams little to go on ("goodbye", "would it be right for me"
            # scored ~0.5): there the classifier must be surer, and the patterns cover short phrasings
            clear_at = self.clear_short if len(text.split()) <= SHORT_MESSAGE_WORDS else self.clear
            if emergency or scores.clear >= clear_at or scores.clear_piece >= self.clear_piece:
                situation = ranked[0]
                signals.append(f"clf.{'imminent' if emergency else 'clear'}.{situation}")
            elif risk >= self.uncertain:
                signals.append("clf.uncertain")
        pattern_clear = LEVEL_RANK[found.level] >= LEVEL_RANK["high"] and found.category
        if pattern_clear and (scores is None or risk >= self.pattern_agree):
            # the explicit patterns name the situation precisely, once the classifier agrees
            # that there is risk at all (alone they fired on topic questions and idioms)
            situation = found.category
        if situation is not None:
            imminent = (found.level == "imminent" or situation in EMERGENCY_SITUATIONS
                        or (scores is not None and scores.imminent >= self.imminent))
            situations: Tuple[str, ...] = (situation,)
            runner_up = next((s for s in ranked if s != situation), None)
            if runner_up and scores.situations[runner_up] >= self.also and not _same_resource(situation, runner_up):
                situations += (runner_up,)  # a second situation whose resource differs: one line more
            return Verdict("clear", situations, "imminent" if imminent else "high", _ordered(populations), lang,
                           tuple(signals), clear, risk)
        if risk >= self.uncertain or (scores is None and found.level == "concern"):
            return Verdict("uncertain", (), "concern", _ordered(populations), lang, tuple(signals), clear, risk)
        return Verdict("none", (), "none", _ordered(populations), lang, tuple(signals), clear, risk)


def _same_resource(a: str, b: str) -> bool:
    from risk.resources import load

    replies = load()["replies"]
    return replies[a]["primary"] == replies[b]["primary"]


def _ordered(populations) -> Tuple[str, ...]:
    return tuple(p for p in POPULATIONS if p in populations)
