"""Reading labelled NLU sets and naming the topic a parse chose (dev split and frozen evaluation)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

RETRIEVAL_INTENT = "faq"
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def read_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, label) pairs from a Rasa NLU YAML file; entity markup is dropped."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    examples = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((_ENTITY.sub(r"\1", line[2:].strip()), block["intent"]))
    return examples


def topic_of(parsed: Dict[str, Any]) -> str:
    """The intent, or `faq/<topic>` when the intent is the retrieval intent."""
    intent = (parsed.get("intent") or {}).get("name")
    if intent == RETRIEVAL_INTENT:
        selector = (parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return key or intent
    return intent or ""
