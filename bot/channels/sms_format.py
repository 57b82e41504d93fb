"""Turn the bot's replies into SMS text: plain text, numbered options, segments under Twilio's limit.

Rasa-free and I/O-free, so every rule here is unit-tested directly.

Hand-written because no maintained library segments text for SMS with the rules this service
needs (break at paragraph/line/sentence boundaries, never inside a URL, a phone number or a
sentence that names a crisis resource); twilio's helpers only build the TwiML around it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

# Twilio rejects a message body longer than 1,600 characters.
TWILIO_MAX_BODY_CHARS = 1600

# --- plain text -------------------------------------------------------------------------------

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1", re.DOTALL)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def to_plain_text(text: str) -> str:
    """Markdown links become 'title: url', emphasis markers go, whitespace is tidied."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_BREAK.sub("\n", text)
    text = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = _MARKDOWN_EMPHASIS.sub(lambda m: m.group(2), text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


# --- numbered options -------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    number: int
    title: str
    payload: str


def options_from_messages(messages: Iterable[Dict[str, Any]]) -> List[Option]:
    """Buttons (and quick replies) of one bot turn, numbered 1..n in the order they were sent.

    The same function numbers the options when a turn is rendered and when a reply "2" is
    mapped back, so both always agree.
    """
    options: List[Option] = []
    for message in messages:
        for button in list(message.get("buttons") or []) + list(message.get("quick_replies") or []):
            if not isinstance(button, dict):
                continue
            title = to_plain_text(str(button.get("title") or "")).replace("\n", " ")
            payload = str(button.get("payload") or button.get("title") or "").strip()
            if not payload:
                continue
            options.append(Option(len(options) + 1, title or payload, payload))
    return options


_OPTION_REPLY = re.compile(r"^\s*(?:#|no\.?\s*|option\s*)?(\d{1,2})\s*[.)!]?\s*$", re.IGNORECASE)


def option_for_reply(reply: str, options: Sequence[Option]) -> Optional[Option]:
    """'2', ' 2.', '#2', 'option 2' -> the second option; anything else (or out of range) -> None.

    Out-of-range numbers are not options: they pass through as text (a form may ask for a number).
    """
    match = _OPTION_REPLY.match(reply or "")
    if not match:
        return None
    number = int(match.group(1))
    if 1 <= number <= len(options):
        return options[number - 1]
    return None


def render_options(options: Sequence[Option]) -> str:
    return "\n".join(f"Reply {option.number} for {option.title}" for option in options)


# --- one turn as text -------------------------------------------------------------------------

def render_turn(messages: Sequence[Dict[str, Any]]) -> str:
    """All of a turn's bot messages as one SMS text, options numbered at the end.

    One text per turn (rather than one SMS per message) because carriers do not keep separate
    SMS in order, and a crisis reply followed by a question must read in order.
    """
    parts: List[str] = []
    for message in messages:
        text = to_plain_text(str(message.get("text") or ""))
        if text:
            parts.append(text)
        image = message.get("image")
        if isinstance(image, str) and image.strip():
            parts.append(image.strip())
        attachment = message.get("attachment")
        if isinstance(attachment, str) and attachment.strip():
            parts.append(attachment.strip())
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            parts.append(to_plain_text(custom["text"]))
    options = options_from_messages(messages)
    if options:
        parts.append(render_options(options))
    return "\n\n".join(part for part in parts if part)


# --- segmenting -------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:org|com|net|gov|edu|us|info)(?:/\S*)?\b",
                  re.IGNORECASE)
# Phone numbers with their spelled-out form: "1-800-799-7233 (1-800-799-SAFE)", "(415) 555-0100".
_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?[\dA-Z]{3}[\s.-][\dA-Z]{4}(?:\s*\([\dA-Z-]{7,}\))?")
# How to reach a crisis resource: "call or text 988", "text HOME to 741741", "dial 988, then press 1".
_CRISIS_PHRASE = re.compile(
    r"\b(?:call|text|dial)(?:\s+or\s+(?:call|text))?\s+(?:[A-Z]{3,}\s+to\s+)?\+?[\dA-Z][\dA-Z-]{2,}"
    r"(?:\s*\([\dA-Z-]{7,}\))?(?:,?\s+then\s+press\s+\d)?")
# Sentences naming a crisis resource are kept whole whenever they fit in a segment.
_CRISIS_WORDS = re.compile(r"\b(?:988|911|741741|838255|678678|88788|lifeline|hotline|crisis line)\b",
                           re.IGNORECASE)
# Boundaries where a segment may end, strongest first; group 1 is the whitespace dropped there.
_PARAGRAPH = re.compile(r"(\n[ \t]*\n\s*)")
_LINE = re.compile(r"(\n\s*)")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(\s+)(?=\S)")
_SPACE = re.compile(r"(\s+)")
# A sentence: up to . ! ? followed by whitespace (so "988lifeline.org" stays inside one).
_SENTENCE = re.compile(r"(?:[^\n.!?]|[.!?]+(?=[^\s.!?]))+(?:[.!?]+[\"')\]]*)?")

Span = Tuple[int, int]


def _never_cut_spans(text: str) -> List[Span]:
    """URLs, phone numbers and how-to-reach-a-crisis-line phrases: cut only if one is longer than a segment."""
    return [m.span() for pattern in (_URL, _PHONE, _CRISIS_PHRASE) for m in pattern.finditer(text)]


def _crisis_sentence_spans(text: str, budget: int) -> List[Span]:
    return [m.span() for m in _SENTENCE.finditer(text)
            if _CRISIS_WORDS.search(m.group(0)) and m.end() - m.start() <= budget]


def _choose_break(text: str, budget: int) -> Tuple[int, int]:
    """(end of this segment, start of the next) for the best prefix of at most `budget` chars."""
    never_cut = _never_cut_spans(text)
    keep_whole = never_cut + _crisis_sentence_spans(text, budget)

    for spans in (keep_whole, never_cut):
        def allowed(pos: int) -> bool:
            return 0 < pos <= budget and not any(start < pos < end for start, end in spans)

        # Prefer the strongest boundary, but not one that leaves a segment under half full.
        for pattern in (_PARAGRAPH, _LINE, _SENTENCE_END, _SPACE):
            candidates = [m for m in pattern.finditer(text, 0, budget + 1) if allowed(m.start(1))]
            if not candidates:
                continue
            best = candidates[-1]
            if pattern is not _SPACE and best.start(1) < budget // 2:
                continue
            return best.start(1), best.end(1)
    # A single token or protected span longer than a segment: break at the last whitespace, else cut.
    spaces = [m for m in _SPACE.finditer(text, 0, budget + 1) if m.start(1) > 0]
    if spaces:
        return spaces[-1].start(1), spaces[-1].end(1)
    return budget, budget


def split_segments(text: str, limit: int = TWILIO_MAX_BODY_CHARS, number_segments: bool = True) -> List[str]:
    """Split text into SMS segments of at most `limit` characters that read well on their own.

    With several segments each starts with "(i/n) " because carriers may deliver them out of order.
    """
    text = (text or "").strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    if limit < 40:
        raise ValueError("segment limit too small")
    budget = limit - len("(99/99) ") if number_segments else limit
    segments: List[str] = []
    rest = text
    while len(rest) > budget:
        end, next_start = _choose_break(rest, budget)
        segments.append(rest[:end].rstrip())
        rest = rest[next_start:].lstrip()
    if rest:
        segments.append(rest)
    if number_segments and len(segments) > 1:
        total = len(segments)
        segments = [f"({index}/{total}) {segment}" for index, segment in enumerate(segments, start=1)]
    return segments
