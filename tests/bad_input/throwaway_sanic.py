"""A minimal Sanic app on the Sanic version Rasa pins, to show Sanic's own HTTP parsing limits.

`python -m tests.bad_input.throwaway_sanic --port N`: GET /health and POST /echo. Used only by
test_known_limits.py, which starts it, breaks it on purpose and kills it.
"""
from __future__ import annotations

import argparse

from sanic import Sanic, response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = Sanic("bad_input_throwaway")

    @app.get("/health")
    async def health(_):
        return response.json({"status": "ok"})

    @app.post("/echo")
    async def echo(request):
        return response.json({"bytes": len(request.body or b"")})

    app.run(host="127.0.0.1", port=args.port, access_log=False)


if __name__ == "__main__":
    main()
