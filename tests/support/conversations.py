"""The conversation ids the channels write (privacy/identifiers.py), and reading their trackers."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

from privacy.identifiers import rest_conversation_id, sms_conversation_id, web_conversation_id


def rest_id(sender: str) -> str:
    return rest_conversation_id(sender)


def sms_id(phone_e164: str) -> str:
    return sms_conversation_id(phone_e164)


def web_id(widget_session_id: str) -> str:
    """The widget stores the server-issued `<key>.<signature>`; the conversation is web:<key>."""
    return web_conversation_id(widget_session_id.split(".")[0])


def tracker_url(server_url: str, conversation_id: str) -> str:
    # Sanic does not unquote path parameters: leave ':' and '+' as they are.
    return f"{server_url}/conversations/{urllib.parse.quote(conversation_id, safe=':+')}/tracker"


def tracker(server_url: str, conversation_id: str) -> dict:
    with urllib.request.urlopen(tracker_url(server_url, conversation_id), timeout=30) as response:
        return json.loads(response.read().decode())
