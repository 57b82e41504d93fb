"""The action server is ready before it says so: migrations and data files load before it listens.

Without this the first form after a start paid for them inside the first action call (the intake
migrations alone outlasted the Rasa server's action timeout, and the form fell through to an empty
summary). rasa_sdk's app runs `before_server_start` listeners before it accepts a connection, so
`/health` answers only once this is done. An intake database that cannot be reached is logged and
does not stop the server: the conversation never waits on it (writes are retried per call).
"""
from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


def warm_up() -> None:
    started = time.monotonic()
    from actions import preference_parsing
    from actions.intake import get_store

    preference_parsing.options()
    preference_parsing.places()
    preference_parsing.states()
    try:
        get_store().ensure_schema()
    except Exception as failure:  # noqa: BLE001 - reported, and the server still answers people
        logger.error("intake database not ready at start (%s); writes will retry", type(failure).__name__)
    logger.info("action server warmed up in %.1f s", time.monotonic() - started)


def register(app) -> None:
    @app.before_server_start
    async def _warm(app_, _loop):
        warm_up()
