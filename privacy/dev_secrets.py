"""Laptop-only shared secrets (REST channel, action server) when the environment sets none.

`make run`, `make shell` and `make actions` run in separate processes that must agree on the
action server's token; on a laptop each derives it from the development data-key file
(privacy/keys.py), so nothing extra has to be set. Production sets REST_CHANNEL_TOKEN and
ACTION_SERVER_TOKEN itself; these are never used when the variables are set.

    python -m privacy.dev_secrets ACTION_SERVER_TOKEN   -> prints the variable's value or the derived one
"""
from __future__ import annotations

import os
import sys

from privacy.crypto import cipher


def dev_secret(variable: str) -> str:
    return os.environ.get(variable) or cipher().index("dev-secret", variable)[:40]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m privacy.dev_secrets VARIABLE")
    print(dev_secret(sys.argv[1]))
