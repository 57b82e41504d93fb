"""aiohttp web app of the provider directory: GET /v1/providers/search, /v1/providers/{id}, /healthz, /openapi.json."""
from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import resources
from typing import Optional

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from providers.db import create_schema, make_engine
from providers.params import InvalidSearch, parse_search_params, whole_number
from providers.search import get_provider, search

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
WORKER_THREADS = 4


def _error(status: int, code: str, message: str, details=None) -> web.Response:
    body = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    return web.json_response(body, status=status)


async def _in_thread(request: web.Request, fn, *args):
    """SQLAlchemy is synchronous; its queries run on the app's worker threads so the event loop stays free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[EXECUTOR], partial(fn, request.app[ENGINE], *args))


@web.middleware
async def errors_as_json(request: web.Request, handler):
    """Every failure answers in JSON; a database outage is a 503, and no internals or inputs reach the client."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return _error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
    except SQLAlchemyError:
        log.exception("provider directory database error on %s", request.path)
        return _error(503, "directory_unavailable", "The provider directory database is unavailable; try again shortly.")
    except Exception:  # noqa: BLE001 - the last line of defence answers cleanly and logs the trace
        log.exception("unexpected error on %s", request.path)
        return _error(500, "internal_error", "Unexpected error in the provider directory.")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def search_handler(request: web.Request) -> web.Response:
    repeated = sorted({k for k in request.query.keys() if len(request.query.getall(k)) > 1})
    try:
        query = parse_search_params(request.query, repeated)
    except InvalidSearch as exc:
        return _error(400, "invalid_parameters", "Some search parameters are invalid.", exc.problems)
    return web.json_response(await _in_thread(request, search, query))


async def provider_handler(request: web.Request) -> web.Response:
    provider_id = whole_number(request.match_info["provider_id"], 9)
    if provider_id is None:
        return _error(400, "invalid_parameters", "The provider id is invalid.",
                      [{"parameter": "provider_id", "message": "must be a positive whole number"}])
    provider = await _in_thread(request, get_provider, provider_id)
    if provider is None:
        return _error(404, "not_found", "No provider has this id.")
    return web.json_response(provider)


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def health_handler(request: web.Request) -> web.Response:
    try:
        await _in_thread(request, _ping)
    except SQLAlchemyError:
        log.warning("health check: provider directory database unreachable")
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


_OPENAPI = None


async def openapi_handler(request: web.Request) -> web.Response:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = json.loads(resources.files("providers.data").joinpath("openapi.json").read_text(encoding="utf-8"))
    return web.json_response(_OPENAPI)


def create_app(database_url: Optional[str] = None, *, engine: Optional[Engine] = None) -> web.Application:
    """The provider directory app over `database_url` (or an existing engine, which the caller then owns)."""
    if engine is None and database_url is None:
        from providers.settings import Settings

        database_url = Settings.from_env().database_url
    owns_engine = engine is None
    app = web.Application(middlewares=[errors_as_json])
    app[ENGINE] = engine if engine is not None else make_engine(database_url, pool_size=WORKER_THREADS)
    app[EXECUTOR] = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="providers-db")
    try:
        create_schema(app[ENGINE])
    except SQLAlchemyError:  # serve anyway: /healthz and every search answer 503 until the database is back
        log.warning("provider directory database unreachable at start-up")

    async def close(app_: web.Application) -> None:
        app_[EXECUTOR].shutdown(wait=True)
        if owns_engine:
            app_[ENGINE].dispose()

    app.on_cleanup.append(close)
    app.router.add_get("/v1/providers/search", search_handler)
    app.router.add_get("/v1/providers/{provider_id}", provider_handler)
    app.router.add_get("/healthz", health_handler)
    app.router.add_get("/openapi.json", openapi_handler)
    return app
