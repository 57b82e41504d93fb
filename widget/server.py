"""A tiny aiohttp server for the widget: the demo clinic page and the widget's static files.

The widget itself is static (widget.js, widget.css, the vendored socket.io client), so any
web server or CDN can host it; this one exists so `make run` has a page to open.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

RASA_URL_KEY = web.AppKey("rasa_url", str)


def normalise_rasa_url(url: str) -> str:
    """The Rasa server's origin, e.g. ``http://127.0.0.1:5005``; raises ValueError if unusable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Rasa URL must be an http(s) URL with a host, got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"Rasa URL must be just scheme://host[:port], got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(rasa_url: str) -> str:
    """A strict CSP for the demo page: it shows the widget needs no inline script or style."""
    ws_url = "ws" + rasa_url[len("http"):]  # http->ws, https->wss
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {rasa_url} {ws_url}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])


@aiohttp_jinja2.template("demo.html")
async def demo_page(request: web.Request):
    return {"rasa_url": request.app[RASA_URL_KEY]}


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path == "/":
        response.headers["Content-Security-Policy"] = content_security_policy(request.app[RASA_URL_KEY])
        response.headers["Cache-Control"] = "no-store"
    elif request.path.startswith("/widget/"):
        # Short cache: a new release reaches visitors quickly; sites may pin versions via their own CDN.
        response.headers.setdefault("Cache-Control", "public, max-age=300")


def create_app(rasa_url: str) -> web.Application:
    app = web.Application()
    app[RASA_URL_KEY] = normalise_rasa_url(rasa_url)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
    app.router.add_get("/", demo_page)
    app.router.add_get("/healthz", health)
    app.router.add_static("/widget/", STATIC_DIR, show_index=False, follow_symlinks=False)
    app.on_response_prepare.append(add_security_headers)
    return app
