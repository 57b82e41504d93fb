"""Rasa's SQL tracker store with every event's content encrypted at rest.

What people tell the assistant (message text, slot values, metadata) is health information, and
SQLTrackerStore keeps it as plain JSON in `events.data`. This store writes that column as
`privacy.crypto.cipher().encrypt(json)` and decrypts on read; rows written before it (plain JSON)
are still read, and `python -m privacy rotate` re-encrypts them. Columns Rasa queries on stay as
Rasa writes them: sender_id (a namespaced conversation id, never a phone number — see
privacy/identifiers.py), type_name, timestamp, intent_name, action_name.

endpoints.yml:
    tracker_store:
      type: bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore
      dialect: "sqlite"          # or postgresql with url/port/db/username/password
      db: "var/tracker.db"
"""
from __future__ import annotations

import json
import logging
from typing import Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from privacy.crypto import cipher

logger = logging.getLogger(__name__)


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose `events.data` column is encrypted (see the module docstring)."""

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        data_cipher = cipher()
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [json.loads(data_cipher.decrypt(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        data_cipher = cipher()
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=data_cipher.encrypt(json.dumps(data)),
                    )
                )
            session.commit()
