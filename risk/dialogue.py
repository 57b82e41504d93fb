"""What the crisis layer should do this turn, from the risk annotations of the
conversation's user messages. Rasa-free so the policy and the evaluation script
share one implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from risk.constants import CATEGORIES, POPULATIONS, RISK_INTENT

ESCALATION_WINDOW = 5  # user turns looked at for repeated weak signals
ESCALATION_COUNT = 2  # weak signals in the window that together mean risk
_RISK_LEVELS = ("high", "imminent")
_SIGNAL_LEVELS = ("concern", "high", "imminent")


@dataclass(frozen=True)
class UserTurn:
    """One user message as the crisis layer sees it (no text)."""

    level: str = "none"
    category: Optional[str] = None
    population: Tuple[str, ...] = ()
    intent: Optional[str] = None
    crisis_answered: bool = False  # a full crisis reply followed this message

    @classmethod
    def from_parse_data(cls, parse_data: Optional[Mapping[str, Any]], crisis_answered: bool = False) -> "UserTurn":
        parse_data = parse_data or {}
        risk = parse_data.get("risk") or {}
        intent = (parse_data.get("intent") or {}).get("name")
        category = risk.get("category")
        return cls(
            level=risk.get("level") or "none",
            category=category if category in CATEGORIES else None,
            population=tuple(p for p in (risk.get("population") or ()) if p in POPULATIONS),
            intent=intent,
            crisis_answered=crisis_answered,
        )


@dataclass(frozen=True)
class CrisisDecision:
    kind: str  # "crisis" (full resources) or "gentle" (one soft line after the normal answer)
    category: str = "general"  # a detector category, or "general" when only the intent fired
    populations: Tuple[str, ...] = ()
    reason: str = ""

    def responses(self) -> List[str]:
        """Crisis utterances in order (before any form pausing / keep-talking steps)."""
        if self.kind != "crisis":
            return ["utter_crisis_gentle"]
        steps = [f"utter_crisis_{self.category}"]
        if "outside_us" in self.populations:
            steps.append("utter_crisis_outside_us")
        if "veteran" in self.populations:
            steps.append("utter_crisis_veteran")
        if "lgbtq_youth" in self.populations:
            steps.append("utter_crisis_lgbtq_youth")
        return steps


def decide(turns: Sequence[UserTurn]) -> Optional[CrisisDecision]:
    """Decision for the latest turn of `turns` (oldest first), or None to stay out of the way."""
    if not turns:
        return None
    latest = turns[-1]
    populations = _populations(turns)
    if latest.level in _RISK_LEVELS and latest.category:
        return CrisisDecision("crisis", latest.category, populations, reason="detector")
    if latest.intent == RISK_INTENT:
        # the trained intent fired: use the detector's weak category if it has one
        return CrisisDecision("crisis", latest.category or "general", populations, reason="intent")
    if latest.level == "concern":
        window = turns[-ESCALATION_WINDOW:]
        signals = [t for t in window if t.level in _SIGNAL_LEVELS or t.intent == RISK_INTENT]
        answered = any(t.crisis_answered for t in window[:-1])
        if len(signals) >= ESCALATION_COUNT and not answered:
            category = latest.category if latest.category in ("domestic_violence", "sexual_assault",
                                                               "harm_others", "self_harm") else "suicidal"
            return CrisisDecision("crisis", category, populations, reason="escalation")
        return CrisisDecision("gentle", latest.category or "general", populations, reason="concern")
    return None


def _populations(turns: Iterable[UserTurn]) -> Tuple[str, ...]:
    seen = {p for t in turns for p in t.population}
    return tuple(p for p in POPULATIONS if p in seen)
