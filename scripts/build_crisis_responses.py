"""Write the crisis responses of domain.yml from risk/data/crisis_resources.yml.

    .venv/bin/python scripts/build_crisis_responses.py          # rewrite the generated block
    .venv/bin/python scripts/build_crisis_responses.py --check  # exit 1 when domain.yml is stale

The block sits between the BEGIN/END marker lines in domain.yml's responses. Each situation's
reply carries a custom payload {"data": {"crisis": {...}}} (socket.io emits `data`; REST returns
it as `custom`), the machine-readable marker the widget, the console and the evaluation read
instead of guessing from the text. tests/crisis/test_crisis_resources.py runs --check.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from risk import resources  # noqa: E402

DOMAIN = ROOT / "domain.yml"
BEGIN = "  # BEGIN generated crisis responses (scripts/build_crisis_responses.py; edit risk/data/crisis_resources.yml)"
END = "  # END generated crisis responses"

# Quick replies, by dialogue step. Payloads are sent by the assistant, so the payload guard
# honours them; the "not sure" answer is plain text on purpose (unclear counts as yes).
BUTTONS = {
    "screen": {
        "en": [("Yes", "/affirm"), ("No", "/deny"), ("I'm not sure", "I'm not sure")],
        "es": [("Sí", "/affirm"), ("No", "/deny"), ("No estoy seguro", "no estoy seguro")],
    },
    "screen_no": {
        "en": [("Find a therapist", "I want to find a therapist"), ("Ask about therapy", "/show_topics")],
        "es": [("Buscar terapeuta", "I want to find a therapist"), ("Preguntar sobre terapia", "/show_topics")],
    },
    "followup": {
        "en": [("Show the numbers again", "/express_risk"), ("Find a therapist", "I want to find a therapist")],
        "es": [("Ver los números otra vez", "/express_risk"), ("Buscar terapeuta", "I want to find a therapist")],
    },
}
BUTTONS["followup_emergency"] = BUTTONS["followup"]
MARKED = {"reply": "reply", "dialogue": None}
MARKED_STEPS = {"screen": "screen", "followup": "followup", "followup_emergency": "followup"}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def build_block() -> str:
    lines = [BEGIN]
    for name, kind, key, lang in resources.all_responses():
        lines.append(f"  {name}:")
        lines.append(f"    - text: {_q(resources.text_of(kind, key, lang))}")
        buttons = BUTTONS.get(key, {}).get(lang) if kind == "dialogue" else None
        if buttons:
            lines.append("      buttons:")
            for title, payload in buttons:
                lines.append(f"        - title: {_q(title)}")
                lines.append(f"          payload: {_q(payload)}")
        marker = None
        if kind == "reply":
            marker = {"kind": "reply", "situation": key, "lang": lang}
        elif kind == "dialogue" and key in MARKED_STEPS:
            marker = {"kind": MARKED_STEPS[key], "lang": lang}
        if marker:
            lines.append(f"      custom: {json.dumps({'data': {'crisis': marker}})}")
    lines.append(END)
    return "\n".join(lines)


def render_domain(current: str) -> str:
    start = current.index(BEGIN)
    end = current.index(END) + len(END)
    return current[:start] + build_block() + current[end:]


def main(argv: list) -> int:
    current = DOMAIN.read_text(encoding="utf-8")
    wanted = render_domain(current)
    if "--check" in argv:
        if wanted != current:
            print("domain.yml crisis responses are stale: run scripts/build_crisis_responses.py")
            return 1
        print("domain.yml crisis responses match risk/data/crisis_resources.yml")
        return 0
    DOMAIN.write_text(wanted, encoding="utf-8")
    print(f"wrote {len(resources.all_responses())} crisis responses into domain.yml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
