"""What every page handler shares: rendering a template with the base context, the flash message
shown once after a redirect, and the page number of a paged list."""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from console.params import ParamError, page_number
from console.security import CSRF_FIELD, csrf_token
from intake.levels import STATUS_LABELS


async def render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    session = await get_session(request)
    flash = session.pop("flash", None)
    base = {
        "staff": request.get("staff"),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(session),
        "flash": flash,
        "status_labels": STATUS_LABELS,
    }
    base.update(context)
    return aiohttp_jinja2.render_template(template, request, base, status=status)


async def flash_and_redirect(request: web.Request, location: str, message: str | None = None) -> web.HTTPException:
    if message:
        session = await get_session(request)
        session["flash"] = message
    return web.HTTPSeeOther(location)


def requested_page(request: web.Request) -> int:
    """The ``page`` query parameter; 400 if it is not a page number."""
    try:
        return page_number(request.query)
    except ParamError as exc:
        raise web.HTTPBadRequest(text=f"Bad page: {exc}")
