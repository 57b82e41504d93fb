"""Fire-and-forget writes to the intake store from async code (actions, channels).

A failing intake database must never break a conversation: the call runs in a worker thread,
is retried with backoff, and failures are logged and swallowed.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

logger = logging.getLogger(__name__)

BASE_DELAY_SECONDS = 0.2


def _call_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


async def write_safely(fn: Callable[..., Any], *args: Any, attempts: int = 3, **kwargs: Any) -> bool:
    """Run blocking `fn(*args, **kwargs)` in a thread; retry; never raise; return success.

    Logs carry only the call name and the exception *type*: the arguments and the exception
    message (SQLAlchemy puts bound parameters in it) may hold contact details.
    Invalid input (ValueError) is not retried, since it would fail the same way again.
    """
    name = _call_name(fn)
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            await asyncio.to_thread(fn, *args, **kwargs)
            return True
        except asyncio.CancelledError:
            raise
        except ValueError as exc:
            logger.warning("intake write %s rejected invalid input (%s)", name, type(exc).__name__)
            return False
        except Exception as exc:  # noqa: BLE001 - the conversation must go on whatever failed
            if attempt == attempts:
                logger.error("intake write %s failed after %d attempts (%s)", name, attempts, type(exc).__name__)
                return False
            logger.warning("intake write %s failed (attempt %d/%d, %s); retrying", name, attempt, attempts, type(exc).__name__)
            await asyncio.sleep(BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return False
