"""Login attempt throttling: failures counted per username and per client address.

Kept in memory because the console runs as one process; a multi-instance deployment would
move this to Redis or the database. A lock-out ends on its own after the window passes.
"""
from __future__ import annotations

import time
from collections import defaultdict, deque


class LoginThrottle:
    def __init__(self, max_failures: int = 5, window_seconds: float = 900, per_address_factor: int = 4, clock=time.monotonic):
        self.max_failures = max_failures
        self.window = window_seconds
        self.per_address = max_failures * per_address_factor  # an office shares one address
        self.clock = clock
        self._failures: dict[str, deque] = defaultdict(deque)

    def _recent(self, key: str) -> deque:
        failures = self._failures[key]
        cutoff = self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until another attempt is allowed (0 if allowed now)."""
        waits = []
        for key, limit in ((f"u:{username}", self.max_failures), (f"a:{address}", self.per_address)):
            failures = self._recent(key)
            if len(failures) >= limit:
                waits.append(failures[-limit] + self.window - self.clock())
        return max(waits, default=0.0)

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        self._failures[f"u:{username}"].append(now)
        self._failures[f"a:{address}"].append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"u:{username}", None)
