"""The action server only answers the Rasa server: a shared secret, and 127.0.0.1 unless told otherwise
(and, once started, it is warm: actions/warmup.py).

The action server is started the Rasa way (`rasa run actions`), which builds rasa_sdk's Sanic app
and then imports this package; rasa_sdk 3.6 has no token option of its own. So, on import inside
that server, this module adds a request middleware to the app rasa_sdk just created
(`Sanic.get_app("rasa_sdk")`, Sanic's public app registry) that refuses every call without
`Authorization: Bearer $ACTION_SERVER_TOKEN` — the header endpoints.yml makes Rasa send. `/health`
stays open for load balancers (it says nothing but "ok"). rasa_sdk reads its bind address from
SANIC_HOST after importing the actions; it defaults here to 127.0.0.1 instead of every interface.
"""
from __future__ import annotations

import hmac
import logging
import os

from sanic import Sanic, response
from sanic.exceptions import SanicException

logger = logging.getLogger(__name__)

TOKEN_ENV = "ACTION_SERVER_TOKEN"
RASA_SDK_APP_NAME = "rasa_sdk"
OPEN_PATHS = frozenset({"/health"})
_BEARER = "bearer "


def token_matches(header: str | None, token: str) -> bool:
    if not token or not header or not header.lower().startswith(_BEARER):
        return False
    given = header[len(_BEARER):].strip().encode("utf-8", "replace")
    return hmac.compare_digest(given, token.encode("utf-8"))


def protect(app: Sanic, token: str | None) -> None:
    """Refuse every request but /health that lacks the bearer token (all of them if none is set)."""
    token = (token or "").strip()
    if not token:
        logger.error("%s is not set: the action server refuses every call", TOKEN_ENV)

    @app.on_request
    async def require_token(request):
        if request.path in OPEN_PATHS:
            return None
        if not token_matches(request.headers.get("Authorization"), token):
            logger.warning("action server call refused: missing or wrong token")
            return response.json({"error": "missing or wrong bearer token"}, status=401)
        return None


def answer_errors_plainly(app: Sanic) -> None:
    """Replace rasa_sdk's catch-all handler, which answers Sanic's own refusals (400, 413, ...) with a
    500 and echoes the request body (what a person said) in the response: keep the status, say only
    what went wrong, log the error's type."""

    @app.exception(SanicException)
    async def refused(request, exception):
        status = getattr(exception, "status_code", 400) or 400
        return response.json({"error": str(exception) if status < 500 else "server error"}, status=status)

    @app.exception(Exception)
    async def failed(request, exception):
        logger.error("action server request failed (%s)", type(exception).__name__)
        return response.json({"error": "server error"}, status=500)


def protect_running_action_server() -> None:
    """Hook into `rasa run actions` when this package is imported by it; no-op elsewhere."""
    try:
        app = Sanic.get_app(RASA_SDK_APP_NAME)
    except SanicException:
        return  # imported by tests or tools, not by the action server
    if getattr(app.ctx, "token_protected", False):
        return
    app.ctx.token_protected = True
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    protect(app, os.environ.get(TOKEN_ENV))
    answer_errors_plainly(app)
    from actions import warmup

    warmup.register(app)  # migrations and data files load before the server listens
