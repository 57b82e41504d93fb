"""Conversation ids: namespaced by channel, never a phone number, never chosen across channels.

  rest:<caller's sender id>     REST integrations (authenticated by REST_CHANNEL_TOKEN)
  web:<server-issued session>   the socket.io widget (bot/channels/socketio.py issues and signs it)
  sms:<keyed hash of the number> SMS; the number itself is never the id (deletion recomputes it)

A caller on one channel cannot name a conversation of another: each channel adds its own
prefix to whatever the caller sends.
"""
from __future__ import annotations

from privacy.crypto import cipher

REST_PREFIX = "rest:"
WEB_PREFIX = "web:"
SMS_PREFIX = "sms:"
# Rasa's tracker store keeps sender ids in a VARCHAR(255)
MAX_CALLER_ID_CHARS = 200


def rest_conversation_id(caller_sender_id: str) -> str:
    return REST_PREFIX + caller_sender_id[:MAX_CALLER_ID_CHARS]


def web_conversation_id(session_id: str) -> str:
    return WEB_PREFIX + session_id[:MAX_CALLER_ID_CHARS]


def sms_conversation_id(phone_e164: str) -> str:
    """`phone_e164` as privacy.contact normalises it, e.g. '+16145550100'."""
    return SMS_PREFIX + cipher().index("sms-conversation", phone_e164)[:40]
