"""Reading labelled NLU sets and naming the topic a parse chose (dev split and frozen evaluation)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

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
    """The intent, or `faq/<topic>` when the intent is the retrieval intent (as the assistant reads it)."""
    from bot.nlu.second_question import topic_name

    return topic_name(parsed.get("intent"), parsed.get("response_selector")) or ""
