"""Announces new risk events to a team-chat webhook so nobody has to watch the queue.

The risk events are written by the action server (another process), so the console polls for
events not yet announced. Each event is claimed with a conditional UPDATE before posting, so
several console instances never announce the same event twice. The message carries no
visitor data: level, category, channel and a link to the inquiry page.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from console.vocabulary import level_label, situation_label
from intake.channels import channel_label
from intake.models import risk_events
from intake.store import utcnow

logger = logging.getLogger(__name__)

# Older unannounced events (e.g. from before a webhook was configured) are not sent.
ANNOUNCE_WINDOW = timedelta(hours=24)
BATCH_SIZE = 20


class RiskAnnouncer:
    def __init__(self, engine: Engine, webhook_url: str, public_url: str, timeout_seconds: float = 10.0):
        self.engine = engine
        self.webhook_url = webhook_url
        self.public_url = public_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def _claim_pending(self) -> list:
        now = utcnow()
        query = (
            select(risk_events.c.id, risk_events.c.inquiry_id, risk_events.c.category, risk_events.c.level,
                   risk_events.c.channel, risk_events.c.occurred_at)
            .where(risk_events.c.announced_at.is_(None), risk_events.c.occurred_at >= now - ANNOUNCE_WINDOW)
            .order_by(risk_events.c.risk_rank.desc(), risk_events.c.occurred_at)
            .limit(BATCH_SIZE)
        )
        claimed = []
        with self.engine.begin() as conn:
            for row in conn.execute(query).all():
                won = conn.execute(
                    update(risk_events)
                    .where(risk_events.c.id == row.id, risk_events.c.announced_at.is_(None))
                    .values(announced_at=now)
                ).rowcount
                if won:
                    claimed.append(row)
        return claimed

    def _release(self, event_ids: list[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(risk_events).where(risk_events.c.id.in_(event_ids)).values(announced_at=None))

    def message(self, event) -> dict:
        url = f"{self.public_url}/inquiries/{event.inquiry_id}"
        # the words the console shows (intake.channels, console.vocabulary); the machine values follow
        text = (
            f"New risk event, level {level_label(event.level)} ({situation_label(event.category)}) "
            f"on {channel_label(event.channel)}: inquiry #{event.inquiry_id} {url}"
        )
        return {
            "text": text,  # Slack / Mattermost / Rocket.Chat incoming webhooks show this
            "inquiry_id": event.inquiry_id,
            "level": event.level,
            "category": event.category,
            "channel": event.channel,
            "channel_label": channel_label(event.channel),
            "occurred_at": event.occurred_at.isoformat() + "Z",
            "url": url,
        }

    async def announce_pending(self, session: aiohttp.ClientSession) -> int:
        """Post every claimable event once; failed posts are released for the next round."""
        sent = 0
        claimed = await asyncio.to_thread(self._claim_pending)
        for index, event in enumerate(claimed):
            try:
                async with session.post(self.webhook_url, json=self.message(event), timeout=self.timeout) as response:
                    ok = 200 <= response.status < 300
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("risk webhook unreachable (%s)", type(exc).__name__)  # URL may hold a secret
                ok = False
            if not ok:
                # the hook is down: give this and the rest back for the next round
                await asyncio.to_thread(self._release, [e.id for e in claimed[index:]])
                break
            sent += 1
        return sent

    async def run(self, poll_seconds: float) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    await self.announce_pending(session)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep announcing after a database hiccup
                    logger.error("risk announcer round failed (%s)", type(exc).__name__)
                await asyncio.sleep(poll_seconds)
