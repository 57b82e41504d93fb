"""Command line: ``python -m widget serve --port 8000 --rasa-url http://127.0.0.1:5005``."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional

from aiohttp import web

from widget.server import create_app, normalise_rasa_url
from privacy.logs import install as scrub_logs

DEFAULT_RASA_URL = "http://127.0.0.1:5005"


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m widget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the demo page and the widget files")
    serve.add_argument("--host", default=os.environ.get("WIDGET_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("WIDGET_PORT", "8000")))
    serve.add_argument("--rasa-url", default=os.environ.get("WIDGET_RASA_URL", DEFAULT_RASA_URL),
                       help="where browsers reach the Rasa server (its socketio channel)")
    args = parser.parse_args(argv)
    try:
        args.rasa_url = normalise_rasa_url(args.rasa_url)
    except ValueError as error:
        parser.error(str(error))
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    scrub_logs()  # no personal data in logs (privacy/logs.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"Widget demo page: http://{args.host}:{args.port}/  (talking to Rasa at {args.rasa_url})", flush=True)
    web.run_app(create_app(args.rasa_url), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
