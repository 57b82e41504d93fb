"""A socket.io widget client (python-socketio, polling) that synchronous tests can drive.

The client lives on its own event loop in a background thread, so one connection can carry
many test cases (batching keeps the suite fast) and each call still has the hang limit.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, List, Optional, Tuple

import socketio

from tests.bad_input.probe import HANG_LIMIT_S, Hang
from tests.bad_input.values import NORMAL_QUESTION


def is_transference_answer(data: Any) -> bool:
    return isinstance(data, dict) and "ransference" in str(data.get("text") or "")


class WidgetClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="widget-client")
        self.thread.start()
        self.client: Optional[socketio.AsyncClient] = None
        self.received: List[Tuple[str, Any]] = []
        self.session_id: Optional[str] = None
        self.disconnects = 0

    # -- plumbing ---------------------------------------------------------------------------------
    def _run(self, coroutine, limit: float = HANG_LIMIT_S) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(limit + 1)  # the coroutine applies the limit; this only backs it up
        except concurrent.futures.TimeoutError as error:
            future.cancel()
            raise Hang(f"the widget server did not answer within {HANG_LIMIT_S}s") from error

    async def _connect(self) -> None:
        client = socketio.AsyncClient(reconnection=False)

        @client.on("*")
        async def any_event(event: str, *args: Any) -> None:
            self.received.append((event, args[0] if args else None))

        @client.event
        async def disconnect() -> None:
            self.disconnects += 1

        await client.connect(self.url, socketio_path="/socket.io", transports=["polling"],
                             wait_timeout=HANG_LIMIT_S)
        self.client = client

    async def _wait_for(self, event: str, since: int, accept: Callable[[Any], bool]) -> Any:
        deadline = self.loop.time() + HANG_LIMIT_S
        while self.loop.time() < deadline:
            for name, data in self.received[since:]:
                if name == event and accept(data):
                    return data
            await asyncio.sleep(0.02)
        raise Hang(f"no {event!r} from the widget server within {HANG_LIMIT_S}s")

    # -- what tests use ---------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return bool(self.client and self.client.connected)

    def connect(self) -> "WidgetClient":
        self._run(self._connect())
        return self

    def emit(self, event: str, *args: Any) -> int:
        """Send an event without waiting for the server to handle it (for events it has no handler
        for, which are never acknowledged); returns the index of what arrives after it."""
        mark = len(self.received)
        data = args[0] if len(args) == 1 else (tuple(args) if args else None)
        self._run(self.client.emit(event, data))
        return mark

    async def _call(self, event: str, data: Any) -> None:
        try:
            await self.client.call(event, data, timeout=HANG_LIMIT_S)
        except socketio.exceptions.TimeoutError:
            raise Hang(f"the widget server did not finish handling {event!r} within {HANG_LIMIT_S}s") from None

    def call(self, event: str, *args: Any) -> int:
        """Send an event and wait until the server has handled it (socket.io's acknowledgement:
        for a message, the whole turn); returns the index of what arrived after it was sent."""
        mark = len(self.received)
        data = args[0] if len(args) == 1 else (tuple(args) if args else None)
        self._run(self._call(event, data))
        return mark

    def request_session(self, data: Any = None, *, raw: bool = False) -> str:
        """session_request with `data` (or {"session_id": <the current one>}); returns the confirmed id."""
        if not raw and data is None:
            data = {"session_id": self.session_id}
        mark = self.call("session_request", data)
        self.session_id = self._run(self._wait_for("session_confirm", mark, lambda d: isinstance(d, str)))
        return self.session_id

    def wait_for(self, event: str, since: int, accept: Callable[[Any], bool] = lambda _: True) -> Any:
        return self._run(self._wait_for(event, since, accept))

    def ask_normal_question(self) -> Any:
        """The next proper message on this connection gets its proper answer."""
        mark = self.call("user_uttered", {"message": NORMAL_QUESTION, "session_id": self.session_id})
        return self.wait_for("bot_uttered", mark, is_transference_answer)

    def events_since(self, mark: int, name: Optional[str] = None) -> List[Any]:
        return [data for event, data in self.received[mark:] if name is None or event == name]

    def reconnect(self) -> None:
        """A new connection resuming the same conversation (after the server dropped this one)."""
        self.close_connection()
        self.connect()
        self.request_session()

    def close_connection(self) -> None:
        if self.client is not None:
            try:
                self._run(self.client.disconnect())
            except Hang:
                pass
            self.client = None

    def close(self) -> None:
        self.close_connection()
        asyncio.run_coroutine_threadsafe(self._cancel_leftovers(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()

    @staticmethod
    async def _cancel_leftovers() -> None:
        """engine.io's read and write loops of dropped connections, so the loop closes cleanly."""
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
