"""GitHub's primary rate limit: a point budget per token and resource, refilled every hour.

Like GitHub, REST calls spend the `core` budget and GraphQL calls the `graphql` budget. A
GraphQL request is charged 1 point whatever it asks for (GitHub charges about 1 point per 100
nodes requested; the extractor pages 100 at a time, so this is the same order). Answers that
GitHub does not charge are not charged here: 304 Not Modified, GET /rate_limit, and requests
refused because the budget is spent.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

WINDOW_SECONDS = 3600


@dataclass
class Window:
    limit: int
    used: int
    reset: int  # epoch seconds
    refused_status: int = 403  # what a request gets while the window is spent

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": resource,
        }


class RateBudget:
    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit
        self._windows: dict[tuple[str, str], Window] = {}
        self._lock = threading.Lock()

    def window(self, token: str, resource: str) -> Window:
        """The current window, a fresh one once the reset time has passed."""
        now = time.time()
        with self._lock:
            current = self._windows.get((token, resource))
            if current is None or current.reset <= now:
                current = Window(self.limit, 0, int(now) + WINDOW_SECONDS)
                self._windows[(token, resource)] = current
            return current

    def charge(self, token: str, resource: str, points: int = 1) -> Window:
        window = self.window(token, resource)
        with self._lock:
            window.used += points
        return window

    def exhaust(self, token: str, resource: str, seconds: float, status: int) -> None:
        """Spend the whole budget until now + seconds (a primary-limit fault)."""
        with self._lock:
            self._windows[(token, resource)] = Window(
                self.limit, self.limit, int(time.time() + seconds + 0.999), refused_status=status
            )
