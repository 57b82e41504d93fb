"""The tracker store's share of a turn: Rasa's SQLTrackerStore against ours, on PostgreSQL.

    .venv/bin/python scripts/bench_tracker_store.py [--conversations 20] [--turns 30] [--dialect postgresql]

Each store gets the same conversations in a throw-away database: a session start, then turns of a
user message with its parse data, a slot and two actions, as a Rasa turn writes them, each turn one
`retrieve` and one `save` (what Rasa's MessageProcessor does per message). Reported per turn: wall
time and this process's CPU time (the store's Python: SQLAlchemy, JSON, and for ours encryption),
median over all turns. Needs PostgreSQL on 127.0.0.1:5432 for the default dialect.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from cryptography.fernet import Fernet  # noqa: E402

for _name in ("DATA_ENCRYPTION_KEYS", "DATA_INDEX_KEY"):  # a throw-away key: nothing here is kept
    os.environ.setdefault(_name, Fernet.generate_key().decode())

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered  # noqa: E402

from bot.stores.encrypted_tracker_store import EncryptedSQLTrackerStore  # noqa: E402
from tests.support.databases import temporary_postgres_database  # noqa: E402

PARSE_DATA = {"intent": {"name": "faq", "confidence": 0.93},
              "intent_ranking": [{"name": "faq", "confidence": 0.93}, {"name": "greet", "confidence": 0.04}],
              "entities": [], "response_selector": {"faq": {"response": {"intent_response_key": "faq/what_is"}}}}


async def conversation(store, sender: str, turns: int) -> List[Dict[str, float]]:
    tracker = await store.get_or_create_tracker(sender)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)
    timings = []
    for number in range(turns):
        wall, cpu = time.perf_counter(), time.process_time()
        tracker = await store.retrieve(sender)
        tracker.update(UserUttered(f"what is psychodynamic therapy, question {number}", PARSE_DATA))
        tracker.update(SlotSet("discussed_comparison", True))
        tracker.update(ActionExecuted("utter_faq"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        timings.append({"wall_ms": (time.perf_counter() - wall) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000})
    return timings


def measure(make_store, conversations: int, turns: int) -> Dict[str, float]:
    store = make_store()
    rows: List[Dict[str, float]] = []
    for number in range(conversations):
        rows += asyncio.run(conversation(store, f"rest:bench-{number}", turns))
    store.engine.dispose()
    return {"turns": len(rows), "wall_ms_p50": round(statistics.median(r["wall_ms"] for r in rows), 2),
            "cpu_ms_p50": round(statistics.median(r["cpu_ms"] for r in rows), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--dialect", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    domain = Domain.load("domain.yml")
    report: Dict[str, object] = {"dialect": args.dialect, "load_average_1m": round(os.getloadavg()[0], 2)}
    for label, kind in (("rasa SQLTrackerStore", SQLTrackerStore), ("ours (encrypted)", EncryptedSQLTrackerStore)):
        if args.dialect == "postgresql":
            with temporary_postgres_database("bench_tracker") as database:
                report[label] = measure(lambda: kind(domain=domain, dialect="postgresql", host="127.0.0.1",
                                                     port=5432, db=database, username="postgres", password=""),
                                        args.conversations, args.turns)
        else:
            with tempfile.TemporaryDirectory() as directory:
                report[label] = measure(lambda: kind(domain=domain, dialect="sqlite",
                                                     db=str(Path(directory) / "tracker.db")),
                                        args.conversations, args.turns)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
