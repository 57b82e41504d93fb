"""The web widget's socket.io channel: Rasa's SocketIOInput with sessions nobody can pick or borrow.

Rasa's channel takes the conversation id from whatever `session_id` the browser sends, with every
message: any page could write into any conversation (another visitor's, or an SMS one by its id).
Here the server issues the session id (`<random>.<signature>`, keyed by privacy's index key), binds
it to the socket at `session_request`, and ignores any id a message names:

- a `session_request` with a session id this server signed resumes that conversation (a reload
  or a reconnect); anything else starts a fresh one, and `session_confirm` tells the widget its id;
- the conversation id is `web:<random>` (privacy/identifiers.py);
- a message longer than MAX_MESSAGE_CHARS gets a short notice and is not processed, and a message
  on a socket without a session is answered with `session_required` instead of being dropped.
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.limits import MAX_MESSAGE_CHARS, as_text
from privacy.crypto import cipher
from privacy.identifiers import web_conversation_id

logger = logging.getLogger(__name__)

_SIGNATURE_CHARS = 32
TOO_LONG_TEXT = (
    f"That message is longer than I can read at once ({MAX_MESSAGE_CHARS:,} characters). Could you send it "
    "in shorter parts? If you need help right now, call or text 988, or call 911 in an emergency."
)


def _signature(session_key: str) -> str:
    return cipher().index("web-session", session_key)[:_SIGNATURE_CHARS]


def issue_session_id() -> str:
    key = secrets.token_hex(16)
    return f"{key}.{_signature(key)}"


def verified_session_key(session_id: Any) -> Optional[str]:
    """The random part of a session id this server issued, else None."""
    if not isinstance(session_id, str) or session_id.count(".") != 1 or len(session_id) > 100:
        return None
    key, signature = session_id.split(".")
    if not key or not hmac.compare_digest(signature.encode(), _signature(key).encode()):
        return None
    return key


class WebSessionSocketIOInput(SocketIOInput):
    """SocketIOInput with server-issued, signed session ids (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        conversations: Dict[str, str] = {}  # socket id -> conversation id

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            conversations.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            key = verified_session_key(asked)
            session_id = asked if key else issue_session_id()
            key = key or session_id.split(".")[0]
            previous = conversations.get(sid)
            if previous:
                sio.leave_room(sid, previous, namespace=self.namespace)
            conversation_id = web_conversation_id(key)
            conversations[sid] = conversation_id
            sio.enter_room(sid, conversation_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            conversation_id = conversations.get(sid)
            if conversation_id is None:
                await sio.emit("session_required", {}, room=sid, namespace=self.namespace)
                return
            data = data if isinstance(data, dict) else {}
            text = data.get("message", "")
            text = as_text(text) if isinstance(text, str) else ""
            output = SocketIOOutput(sio, self.bot_message_evt)
            if len(text) > MAX_MESSAGE_CHARS:
                logger.info("socket.io message over %d characters not processed", MAX_MESSAGE_CHARS)
                await output.send_text_message(conversation_id, TOO_LONG_TEXT)
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            await on_new_message(UserMessage(text, output, conversation_id,
                                             input_channel=self.name(), metadata=metadata))

        return webhook
