"""Run the frozen NLU test set (tests/nlu_frozen/) once, through the real assistant, and report.

    .venv/bin/python scripts/eval_frozen_nlu.py [--model models/<fingerprint>.tar.gz]

Starts the action server and a Rasa server (REST channel, SQLite tracker store) on free
127.0.0.1 ports, sends every message to a fresh conversation and reads that conversation's
tracker. For each message it records
  - topic: the intent, or faq/<topic> from the ResponseSelector;
  - answer content: whether the response that answers the expected topic was sent (the
    `utter_action` of the bot's messages), and whether any crisis content was sent;
  - for the two-question messages: whether both answers were sent, or one answer plus the other
    offered (the clarifying question naming it).
Results go to results/frozen_nlu.json. The set was written before any tuning and is never used
for training or tuning (tests/nlu_frozen/README.md): report what this prints as it comes out.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Set

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actions.topics import TOPICS  # noqa: E402
from scripts.nlu_topics import read_examples, topic_of  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.conversations import rest_id, tracker  # noqa: E402

FROZEN = sorted((ROOT / "tests" / "nlu_frozen").glob("frozen_*.yml"))
CRISIS_PREFIX = "utter_crisis_"


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def training_texts() -> Set[str]:
    """Every training message, normalised: frozen messages that are also here are scored apart."""
    return {_normal(text) for path in (ROOT / "bot" / "data").rglob("*.yml") for text, _ in read_examples(path)}


def expected_response(label: str) -> str:
    return TOPICS[label].response if label in TOPICS else {"bot_challenge": "utter_iamabot"}[label]


def turn(server: str, token: str, text: str) -> Dict[str, Any]:
    sender = f"frozen-{uuid.uuid4().hex[:12]}"
    reply = requests.post(f"{server}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
    reply.raise_for_status()
    events = tracker(server, rest_id(sender))["events"]
    user = [e for e in events if e["event"] == "user"][-1]
    sent = [((e.get("metadata") or {}).get("utter_action") or "") for e in events if e["event"] == "bot"]
    buttons = [b.get("payload") for e in events if e["event"] == "bot" for b in (e.get("data") or {}).get("buttons") or []]
    return {"topic": topic_of(user["parse_data"]), "sent": sent, "buttons": buttons,
            "second": (user["parse_data"].get("second_question") or {}).get("topic")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "frozen_nlu.json")
    args = parser.parse_args()
    model = args.model or servers.trained_model_path()
    token = os.environ.setdefault("REST_CHANNEL_TOKEN", "frozen-eval-token")
    os.environ.setdefault("ACTION_SERVER_TOKEN", "frozen-eval-action-token")
    os.environ.setdefault("TWILIO_AUTH_TOKEN", "frozen-eval-twilio")

    singles = [(text, label, path.stem) for path in FROZEN for text, label in read_examples(path)]
    doubles = [(item["text"], item["labels"], path.stem) for path in FROZEN
               for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("two_questions") or []]
    workdir = Path(tempfile.mkdtemp(prefix="frozen-nlu-"))
    actions = servers.action_server(workdir)
    rasa = servers.rasa_server(model, workdir, actions.port)
    rows: List[Dict[str, Any]] = []
    seen = training_texts()
    started = time.monotonic()
    with servers.running(actions, rasa):
        for text, label, source in singles:
            got = turn(rasa.url, token, text)
            expected = expected_response(label)
            rows.append({"kind": "single", "source": source, "label": label, "topic": got["topic"],
                         "in_training": _normal(text) in seen,
                         "topic_right": got["topic"] == label,
                         "content_right": expected in got["sent"] and not any(s.startswith(CRISIS_PREFIX) for s in got["sent"]),
                         "crisis_content": any(s.startswith(CRISIS_PREFIX) for s in got["sent"]),
                         "sent": got["sent"]})
        for text, labels, source in doubles:
            got = turn(rasa.url, token, text)
            wanted = {expected_response(label) for label in labels}
            answered = wanted & set(got["sent"])
            offered = {label for label in labels if label in TOPICS and TOPICS[label].question in got["buttons"]}
            rows.append({"kind": "double", "source": source, "labels": labels, "topic": got["topic"],
                         "second": got["second"], "both_answered": answered == wanted,
                         "one_answered_other_offered": len(answered) == 1 and len(offered) >= 1,
                         "at_least_one": bool(answered), "sent": got["sent"]})
    summary = summarise(rows)
    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["model"] = str(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


def summarise(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    singles = [r for r in rows if r["kind"] == "single"]
    doubles = [r for r in rows if r["kind"] == "double"]
    unseen = [r for r in singles if not r["in_training"]]
    per_topic = collections.defaultdict(lambda: [0, 0])
    confusions = collections.Counter()
    for r in singles:
        per_topic[r["label"]][0] += r["topic_right"]
        per_topic[r["label"]][1] += 1
        if not r["topic_right"]:
            confusions[f"{r['label']} -> {r['topic']}"] += 1
    return {
        "single_messages": len(singles),
        "topic_accuracy": round(sum(r["topic_right"] for r in singles) / len(singles), 4),
        "right_answer_content": round(sum(r["content_right"] for r in singles) / len(singles), 4),
        "crisis_content_on_questions": sum(r["crisis_content"] for r in singles),
        "unseen_messages": len(unseen),
        "topic_accuracy_unseen": round(sum(r["topic_right"] for r in unseen) / max(len(unseen), 1), 4),
        "right_answer_content_unseen": round(sum(r["content_right"] for r in unseen) / max(len(unseen), 1), 4),
        "per_topic": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_topic.items())},
        "top_confusions": dict(confusions.most_common(20)),
        "two_question_messages": len(doubles),
        "both_answered": sum(r["both_answered"] for r in doubles),
        "one_answered_other_offered": sum(r["one_answered_other_offered"] for r in doubles),
        "at_least_one_answered": sum(r["at_least_one"] for r in doubles),
    }


if __name__ == "__main__":
    raise SystemExit(main())
