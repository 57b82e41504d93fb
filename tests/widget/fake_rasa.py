"""A scripted stand-in for Rasa's socketio channel, built on Playwright's WebSocket routing.

It speaks just enough of the Engine.IO v4 / Socket.IO v5 wire format (what socket.io-client 4
uses) to let the browser tests feed the widget exact bot messages, including hostile ones,
without a trained model. The real server is covered by the e2e tests.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional

from playwright.sync_api import Page, WebSocketRoute

OPEN_PACKET = "0" + json.dumps({"sid": "fake-engine", "upgrades": [], "pingInterval": 25000,
                                "pingTimeout": 20000, "maxPayload": 1000000})

Reply = Callable[[str], List[Dict[str, Any]]]


class FakeRasa:
    def __init__(self, reply: Reply):
        self.reply = reply
        self.events: List[tuple] = []  # (event name, data) received from the widget, in order
        self.connections: List[WebSocketRoute] = []

    def install(self, page: Page) -> "FakeRasa":
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), self._on_connection)
        return self

    def session_ids(self) -> List[Optional[str]]:
        return [data.get("session_id") for name, data in self.events if name == "session_request"]

    def user_messages(self) -> List[str]:
        return [data["message"] for name, data in self.events if name == "user_uttered"]

    def drop_connection(self) -> None:
        """Close the latest socket from the server side, as a restarting server would."""
        self.connections[-1].close(code=1001, reason="server restart")

    def _on_connection(self, ws: WebSocketRoute) -> None:
        self.connections.append(ws)
        ws.on_message(lambda message: self._on_message(ws, message))
        ws.send(OPEN_PACKET)

    def _on_message(self, ws: WebSocketRoute, message: Any) -> None:
        if not isinstance(message, str):
            return
        if message.startswith("40"):  # Socket.IO CONNECT to the default namespace
            ws.send('40{"sid":"fake-socket"}')
        elif message.startswith("42"):  # Socket.IO EVENT
            name, data = json.loads(message[2:])[:2]
            self.events.append((name, data))
            if name == "session_request":
                ws.send("42" + json.dumps(["session_confirm", data.get("session_id")]))
            elif name == "user_uttered":
                for bot_message in self.reply(data.get("message", "")):
                    ws.send("42" + json.dumps(["bot_uttered", bot_message]))
