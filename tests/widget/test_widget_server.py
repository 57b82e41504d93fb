"""The widget's static server (run for real with ``python -m widget serve``) and packaging.

Synchronous on purpose: the browser fixture of this package keeps Playwright's event loop
running in the test thread, so no pytest-asyncio tests can live in tests/widget."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.widget.conftest import UNREACHABLE_RASA_URL
from widget.__main__ import parse_args
from widget.server import normalise_rasa_url

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
VENDOR_DIR = Path(__file__).parent / "vendor"


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), ""


def test_demo_page_embeds_the_widget_with_one_script_tag_and_a_strict_csp(static_widget_server):
    status, headers, page = fetch(static_widget_server.url + "/")
    assert status == 200
    tags = re.findall(r"<script\b[^>]*>", page)
    assert len(tags) == 1
    assert 'src="/widget/widget.js"' in tags[0] and f'data-server-url="{UNREACHABLE_RASA_URL}"' in tags[0]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert f"connect-src 'self' {UNREACHABLE_RASA_URL} ws://127.0.0.1:9" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_widget_files_are_served_and_nothing_else(static_widget_server):
    for path, content_type in [("/widget/widget.js", "javascript"), ("/widget/widget.css", "text/css"),
                               ("/widget/vendor/socket.io.min.js", "javascript")]:
        status, headers, body = fetch(static_widget_server.url + path)
        assert status == 200 and body, path
        assert content_type in headers["Content-Type"]
    assert fetch(static_widget_server.url + "/widget/")[0] in (403, 404)
    assert fetch(static_widget_server.url + "/widget/%2e%2e/server.py")[0] in (403, 404)
    assert fetch(static_widget_server.url + "/healthz")[0] == 200


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://host", "http://", "http://h/path", "not a url"])
def test_unusable_rasa_urls_are_rejected(url):
    with pytest.raises(ValueError):
        normalise_rasa_url(url)
    with pytest.raises(SystemExit):
        parse_args(["serve", "--rasa-url", url])


def test_rasa_url_is_reduced_to_its_origin_and_cli_defaults(monkeypatch):
    for name in ("WIDGET_HOST", "WIDGET_PORT", "WIDGET_RASA_URL"):
        monkeypatch.delenv(name, raising=False)
    assert normalise_rasa_url(" https://bot.example.org/ ") == "https://bot.example.org"
    args = parse_args(["serve"])
    assert (args.host, args.port, args.rasa_url) == ("127.0.0.1", 8000, "http://127.0.0.1:5005")


def test_vendored_bundles_match_the_pinned_npm_versions():
    package = json.loads((WIDGET_DIR / "package.json").read_text())
    socketio_header = (WIDGET_DIR / "static" / "vendor" / "socket.io.min.js").read_text()[:200]
    axe_header = (VENDOR_DIR / "axe.min.js").read_text()[:200]
    assert f"Socket.IO v{package['dependencies']['socket.io-client']}" in socketio_header
    assert f"axe v{package['devDependencies']['axe-core']}" in axe_header
    assert (WIDGET_DIR / "static" / "vendor" / "socket.io-client.LICENSE").exists()
    assert (VENDOR_DIR / "axe-core.LICENSE").exists()


def test_widget_never_writes_html_from_strings():
    source = (WIDGET_DIR / "static" / "widget.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_installed_python_socketio_works_with_rasas_socketio_channel():
    """python-socketio 5.10 made AsyncServer.enter_room a coroutine; Rasa 3.6's built-in channel
    calls it without await (RasaHQ/rasa#13027), so with session_persistence no reply would ever
    reach the widget. Guard the pin while credentials.yml uses the built-in channel."""
    import inspect

    import yaml
    from socketio import AsyncServer

    credentials = yaml.safe_load((WIDGET_DIR.parent / "credentials.yml").read_text())
    if "socketio" in credentials:
        assert not inspect.iscoroutinefunction(AsyncServer.enter_room), (
            "python-socketio>=5.10 breaks Rasa 3.6's socketio channel: pin python-socketio<5.10")
