"""What the crisis layer does this turn, from the risk verdicts of the conversation's user
messages and what the assistant already said. Rasa-free, so the policy, the tests and the
evaluation share one implementation.

    crisis     the situation's crisis reply (clear risk, a "yes" or an unclear answer to the
               screening question, risk built up over several messages, the crisis button)
    screen     ask directly whether the person is thinking of suicide (distress without
               explicit risk), the way crisis counsellors and the C-SSRS screener do
    screen_no  a clear "no" to the screening question: acknowledge, offer the next step
    followup   after a crisis reply, an answer that asks nothing of the assistant ("ok", "idk",
               "2", "I gave him the narcan") continues the supportive conversation instead of
               a topic menu; a question about the line itself gets the lines again
    None       stay out of the way: the other policies answer as usual, nothing is added
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from risk import resources
from risk.constants import LANGUAGES, POPULATIONS, RISK_INTENT, SITUATIONS

WINDOW = 5  # user turns that make up "recently"
FOLLOWUP_TURNS = 3  # user turns after a crisis reply that an answer asking nothing still belongs to
BUILDUP_TURNS = 3  # risk built up over this many messages...
BUILDUP_SIGNALS = 2  # ...with at least this many weak signals asks the screening question
WEAK_SCORE = 0.2  # a message whose best situation or distress score reaches this is a weak signal
# After a crisis reply, a message is "still here" ("ok", "idk", "no", "2", "hi", "ok im calling his
# sister"), unless it asks for something the assistant answers (one of these intents, in words that
# ask: `_ASKS`): then it gets that answer. (A word limit here sent "I gave him the narcan" to the
# not-understood menu.)
_REQUEST_INTENTS = {"faq", "request_therapist", "compare_psychoanalysis", "ask_frequency_duration",
                    "ask_right_for_me", "show_topics", "bot_challenge", "continue_form", "restart_form"}
# The question intents are the ones the intent model finds in almost any sentence: there the words
# must ask too. A command ("continue", "start over", "find me a therapist") is its own request.
_QUESTION_INTENTS = {"faq", "compare_psychoanalysis", "ask_frequency_duration", "ask_right_for_me"}
_DENY_INTENTS = {"deny"}
# An answer to the screening question that opens with a no ("no not like that, just burnt out",
# "nope", "not really", "para nada") is a no even when the intent model read the rest of it as
# something else, or the risk layer read distress in it; its own clear risk still comes first
# ("no... I have the pills here" is clear), and a hedge makes it unclear ("no... well
# sometimes", "no but I've thought about it").
# An interjection may come first ("oh no, nothing like that").
_OPENS_WITH_NO = re.compile(
    r"^\W*(?:(?:oh|ah|um+|uh+|gosh|god|goodness|haha|lol|honestly|ay)\W+)?"
    r"(?:no+|nope|nah+|naw|never|not really|not at all|not like that|nothing like that|"
    r"nothing of (?:that|the) sort|definitely not|of course not|para nada|nunca|claro que no)\b",
    re.IGNORECASE)
# A yes anywhere, or "not yet", makes a no unclear ("Affirmative. Passive. No plan." read as deny).
_HEDGE = re.compile(r"\b(?:but|sometimes|maybe|kind of|sort of|kinda|sorta|not sure|idk|well|not yet|"
                    r"yes|yeah|yea|yep|yup|aye|affirmative|passive(?:ly)?|"
                    r"pero|a veces|tal vez|quiz[aá]s?|todav[ií]a no)\b", re.IGNORECASE)
# After a crisis reply, a question intent gets its answer only for words that ask: the FAQ model
# reads almost any sentence as some question ("ok I will note the number" got the confidentiality
# answer). A question mark, a question's first word, an explicit request, or a button's payload asks.
_ASKS = re.compile(
    r"\?|^\s*/"
    r"|^\W*(?:(?:ok|okay|so|and|also|but|well|thanks|thank you|cool|sorry|hi|hello)\W+)*"
    r"(?:what|whats|how|hows|when|where|why|who|which|do|does|did|can|could|would|will|is|are|am|should|may|"
    r"qu[eé]|c[oó]mo|cu[aá]ndo|d[oó]nde|cu[aá]nto|puedo|puede|pueden|tienen|hay)\b"
    r"|\b(?:i(?:'d| would) like|i (?:want|need) (?:to (?:book|find|see|schedule|start|know)|an? (?:therapist|"
    r"appointment|session|counsell?or))|find (?:me )?a (?:therapist|counsell?or)|book (?:a|an|me|in)|"
    r"schedule (?:a|an|me)|tell me|show me|quiero (?:una cita|un terapeuta|saber)|"
    r"necesito (?:una cita|un terapeuta))\b",
    re.IGNORECASE)

# After a crisis reply, a question (words that ask: `_ASKS`) about the crisis line itself ("what's
# the veterans line number again", "can I text instead", "does that line have real people at
# night", "this hotline is ok for me?") belongs to the crisis conversation: it gets the follow-up
# with the lines again, not the FAQ answer the intent model finds in it (the ninth frozen set's
# conversations: seven such turns got the confidentiality or the cost answer).
_ABOUT_THE_LINE = re.compile(
    r"\b(?:line|hotline|lifeline|helpline|crisis|number|988|911|741741|838255|678678|text(?:ing)?|call(?:ing)?|"
    r"chat|counsell?ors?|real (?:people|person|human)|someone real|safety plan(?:ning)?|trevor|childhelp|rainn|"
    r"l[ií]nea|n[uú]mero|llamar|llamo|mensaje|texto)\b",
    re.IGNORECASE)
# What is still carried out when it names the line ("find me a therapist who does texting").
_COMMAND_INTENTS = _REQUEST_INTENTS - _QUESTION_INTENTS - {"bot_challenge"}


@dataclass(frozen=True)
class UserTurn:
    """One user message as the crisis layer sees it (no text)."""

    tier: str = "none"
    situations: Tuple[str, ...] = ()
    populations: Tuple[str, ...] = ()
    lang: Optional[str] = None
    intent: Optional[str] = None
    opens_with_no: bool = False
    hedged: bool = False
    asks: bool = False
    about_the_line: bool = False
    score: float = 0.0
    distress: float = 0.0
    # what the assistant's crisis layer did right after this message
    crisis_answered: bool = False
    screened: bool = False

    @classmethod
    def from_parse_data(cls, parse_data: Optional[Mapping[str, Any]], text: Optional[str] = None,
                        crisis_answered: bool = False, screened: bool = False) -> "UserTurn":
        parse_data = parse_data or {}
        risk = parse_data.get("risk") or {}
        intent = (parse_data.get("intent") or {}).get("name")
        text = text if text is not None else parse_data.get("text")
        tier = risk.get("tier")
        if tier not in ("none", "uncertain", "clear"):
            tier = "none"
        return cls(
            tier=tier,
            situations=tuple(s for s in (risk.get("situations") or ()) if s in SITUATIONS),
            populations=tuple(p for p in (risk.get("population") or ()) if p in POPULATIONS),
            lang=risk.get("lang") if risk.get("lang") in LANGUAGES else None,
            intent=intent,
            opens_with_no=isinstance(text, str) and bool(_OPENS_WITH_NO.match(text)),
            hedged=isinstance(text, str) and bool(_HEDGE.search(text)),
            asks=isinstance(text, str) and bool(_ASKS.search(text)),
            about_the_line=isinstance(text, str) and bool(_ABOUT_THE_LINE.search(text)),
            score=float(risk.get("score") or 0.0),
            distress=float(risk.get("distress") or 0.0),
            crisis_answered=crisis_answered,
            screened=screened,
        )

    @property
    def weak_signal(self) -> bool:
        return self.tier == "uncertain" or max(self.score, self.distress) >= WEAK_SCORE


def shows_risk(parse_data: Optional[Mapping[str, Any]]) -> bool:
    """Whether the NLU's verdict on a message calls for the crisis layer at all (clear risk, the
    uncertain tier, or the crisis button). The one test channels use, e.g. for an SMS from a
    number that opted out."""
    parse_data = parse_data or {}
    if (parse_data.get("intent") or {}).get("name") == RISK_INTENT:
        return True
    return (parse_data.get("risk") or {}).get("tier") in ("clear", "uncertain")


@dataclass(frozen=True)
class CrisisDecision:
    kind: str  # crisis | screen | screen_no | followup
    situation: str = "general"  # a situation of risk.constants, or "general"
    also: Optional[str] = None  # a second situation whose one-line resource follows the reply
    populations: Tuple[str, ...] = ()
    lang: str = "en"
    reason: str = ""
    lines_again: bool = False  # a follow-up that repeats the situation's and the populations' lines


def decide(turns: Sequence[UserTurn]) -> Optional[CrisisDecision]:
    """Decision for the latest turn of `turns` (oldest first), or None to stay out of the way."""
    if not turns:
        return None
    latest, earlier = turns[-1], list(turns[:-1])
    populations = _populations(turns)
    lang = _language(turns)

    def make(kind: str, situation: str = "general", reason: str = "", also: Optional[str] = None,
             lines_again: bool = False) -> CrisisDecision:
        if also and resources.named("also", also) <= resources.named("reply", situation).union(
                *(resources.named("population", p) for p in populations)):
            also = None  # its line is already in the reply (a minor's line names Childhelp too)
        return CrisisDecision(kind, situation, also, populations, lang, reason, lines_again)

    if latest.tier == "clear":
        situations = latest.situations or ("general",)
        return make("crisis", situations[0], "risk", situations[1] if len(situations) > 1 else None)
    if latest.intent == RISK_INTENT:  # the crisis button (typed payloads are text)
        return make("crisis", _recent_situation(earlier), "button")
    if earlier and earlier[-1].screened:
        # an opening no counts whatever distress the rest shows ("no no, I'm not going to hurt
        # myself, I'm just in a rut" read as uncertain); clear risk was answered above
        said_no = latest.intent in _DENY_INTENTS or latest.opens_with_no
        if said_no and not latest.hedged:
            return make("screen_no", reason="screen_no")
        return make("crisis", "suicidal", "screen_yes_or_unclear")

    recent = earlier[-WINDOW:]
    since_crisis = _turns_since_crisis(earlier)
    if since_crisis is not None and since_crisis < FOLLOWUP_TURNS:
        if latest.about_the_line and latest.asks and latest.intent not in _COMMAND_INTENTS:
            return make("followup", _recent_situation(earlier), "about_the_line", lines_again=True)
        if (latest.tier == "uncertain" or latest.intent not in _REQUEST_INTENTS
                or (latest.intent in _QUESTION_INTENTS and not latest.asks)):
            return make("followup", _recent_situation(earlier), "after_crisis")
        return None
    if since_crisis is not None and since_crisis < WINDOW:
        return None  # resources were just given; answer normally
    screened_recently = any(t.screened for t in recent)
    if latest.tier == "uncertain":
        return None if screened_recently else make("screen", reason="distress")
    window = (earlier + [latest])[-BUILDUP_TURNS:]
    if not screened_recently and latest.weak_signal and sum(t.weak_signal for t in window) >= BUILDUP_SIGNALS:
        return make("screen", reason="buildup")
    return None


def _turns_since_crisis(earlier: List[UserTurn]) -> Optional[int]:
    for back, turn in enumerate(reversed(earlier)):
        if turn.crisis_answered:
            return back
    return None


def _recent_situation(earlier: Iterable[UserTurn]) -> str:
    for turn in reversed(list(earlier)[-WINDOW:]):
        if turn.crisis_answered and turn.tier == "clear" and turn.situations:
            return turn.situations[0]
    return "general"


def _populations(turns: Iterable[UserTurn]) -> Tuple[str, ...]:
    seen = {p for t in turns for p in t.populations}
    return tuple(p for p in POPULATIONS if p in seen)


def _language(turns: Sequence[UserTurn]) -> str:
    """The latest message's language, or the conversation's last known one ("ok" says nothing)."""
    for turn in reversed(turns):
        if turn.lang:
            return turn.lang
    return "en"
