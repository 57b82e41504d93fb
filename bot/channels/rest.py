"""The REST channel for integrations: Rasa's RestInput behind a bearer token, with checked input.

- Every call carries `Authorization: Bearer <REST_CHANNEL_TOKEN>`; without the variable set the
  channel refuses every call (and says so at start) rather than run open.
- The caller's sender id names a conversation in the `rest:` namespace (privacy/identifiers.py),
  so no REST caller can write into an SMS or widget conversation. Replies name the caller's own id.
- Malformed bodies get a 400 that says what is wrong, oversized ones a 413; nothing reaches the
  log but the reason (no message text).
- The caller cannot choose the input channel: it is always "rest".

Same URL as Rasa's own channel: POST /webhooks/rest/webhook.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import MAX_MESSAGE_CHARS, MAX_REST_BODY_BYTES, MAX_SENDER_ID_CHARS, as_text
from privacy.identifiers import rest_conversation_id

logger = logging.getLogger(__name__)

TOKEN_ENV = "REST_CHANNEL_TOKEN"
_BEARER = "bearer "


class BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def read_message(body: bytes) -> Tuple[str, str, Optional[Dict[str, Any]]]:
    """(sender, text, metadata) from a REST body, or BadRequest saying what is wrong."""
    if len(body) > MAX_REST_BODY_BYTES:
        raise BadRequest(413, f"request body is larger than {MAX_REST_BODY_BYTES} bytes")
    if not body.strip():
        raise BadRequest(400, 'empty body: send JSON {"sender": "...", "message": "..."}')
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "body is not valid JSON") from None
    except RecursionError:
        raise BadRequest(400, "body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, 'body must be a JSON object {"sender": "...", "message": "..."}')
    sender = payload.get("sender")
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise BadRequest(400, '"sender" must be a string')
    sender = str(sender).strip()
    if not sender or len(sender) > MAX_SENDER_ID_CHARS or not sender.isprintable():
        raise BadRequest(400, f'"sender" must be 1 to {MAX_SENDER_ID_CHARS} printable characters')
    text = payload.get("message")
    if not isinstance(text, str):
        raise BadRequest(400, '"message" must be a string')
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(413, f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, '"metadata" must be a JSON object')
    return as_text(sender), as_text(text), metadata


class TokenRestInput(RestInput):
    """Rasa's REST channel, authenticated and namespaced (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TokenRestInput":
        credentials = credentials or {}
        return cls(token=credentials.get("token") or os.environ.get(TOKEN_ENV))

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = (token or "").strip() or None
        if not self.token:
            logger.error("rest channel has no token (%s): every request will be refused", TOKEN_ENV)

    def is_authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not self.token or not header.lower().startswith(_BEARER):
            return False
        given = header[len(_BEARER):].strip().encode("utf-8", "replace")
        return hmac.compare_digest(given, self.token.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.is_authorised(request):
                return error(401, "missing or wrong bearer token")
            try:
                sender, text, metadata = read_message(request.body or b"")
            except BadRequest as bad:
                logger.info("rest request refused (%d): %s", bad.status, bad.reason)
                return error(bad.status, bad.reason)
            conversation_id = rest_conversation_id(sender)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, conversation_id,
                                                 input_channel=self.name(), metadata=metadata))
            except CancelledError:
                logger.error("rest message timed out")
            except Exception as failure:  # noqa: BLE001 - answer with what was said; log no text
                logger.error("rest message failed (%s)", type(failure).__name__)
            for message in collector.messages:
                message["recipient_id"] = sender
            return response.json(collector.messages)

        return webhook
