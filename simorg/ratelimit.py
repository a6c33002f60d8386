"""GitHub's primary rate limits: a budget per token and resource, refilled every window (an hour
on GitHub; `window_seconds` shortens it so a test can live through several "hours" in seconds).

- `core` (REST): `limit` requests per window (GitHub: 5,000), one per request. Answers GitHub does
  not count are not counted here either: 304 Not Modified, GET /rate_limit, and requests refused
  because the budget is spent. A spent budget refuses with 403 (or 429) and remaining 0.
- `graphql`: `limit` points per window (GitHub: 5,000); a query costs its score under GitHub's
  published formula (`query_cost`), charged before it runs, so the query's own
  `rateLimit { cost remaining }` reports it. A query costing more than what is left is refused
  like GitHub refuses it: HTTP 200, an error of type RATE_LIMITED, no data.

Every answer carries x-ratelimit-limit / -remaining / -used / -reset (epoch seconds, rounded up)
/ -resource.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    IntValueNode,
    VariableNode,
    parse,
)

WINDOW_SECONDS = 3600.0


@dataclass
class Window:
    limit: int
    used: int
    reset: float  # epoch seconds
    refused_status: int = 403  # what a REST request gets while the window is spent

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def reset_epoch(self) -> int:
        """The reset as GitHub states it: whole epoch seconds, not before the real reset."""
        return math.ceil(self.reset)

    def headers(self, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset_epoch),
            "x-ratelimit-resource": resource,
        }


class RateBudget:
    def __init__(self, limit: int = 5000, window_seconds: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[tuple[str, str], Window] = {}
        self._lock = threading.Lock()

    def window(self, token: str, resource: str) -> Window:
        """The current window, a fresh one once the reset time has passed."""
        with self._lock:
            return self._current(token, resource)

    def _current(self, token: str, resource: str) -> Window:
        now = time.time()
        current = self._windows.get((token, resource))
        if current is None or current.reset <= now:
            current = Window(self.limit, 0, now + self.window_seconds)
            self._windows[(token, resource)] = current
        return current

    def charge(self, token: str, resource: str, points: int = 1) -> Window | None:
        """Spend `points` of the current window; None (nothing spent) when fewer are left."""
        with self._lock:
            window = self._current(token, resource)
            if window.remaining < points:
                return None
            window.used += points
            return window

    def refill(self) -> None:
        """Start a new window now for every token and resource ("the hour is over", on demand)."""
        with self._lock:
            self._windows.clear()

    def exhaust(self, token: str, resource: str, seconds: float, status: int) -> None:
        """Spend the whole budget until now + seconds (a primary-limit fault)."""
        with self._lock:
            self._windows[(token, resource)] = Window(self.limit, self.limit, time.time() + seconds,
                                                      refused_status=status)


@lru_cache(maxsize=64)
def _parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def query_cost(body: dict) -> tuple[int, int]:
    """(points, nodes) of a query under GitHub's published formula ("Calculating a rate limit
    score"): every connection (a field with `first` or `last`) needs one request per node its
    enclosing connections can return; points = the sum of requests / 100, rounded, at least 1.
    nodes = the nodes all connections can return (GitHub refuses more than 500,000). A query that
    does not parse costs 1."""
    query = body.get("query")
    document = _parsed(query) if isinstance(query, str) else None
    if document is None:
        return 1, 0
    variables = body.get("variables") or {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def size(field: FieldNode) -> int | None:
        for argument in field.arguments:
            if argument.name.value in ("first", "last"):
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    return variables.get(value.name.value)
        return None

    def walk(selection_set, parents: int) -> tuple[int, int]:
        requests = nodes = 0
        for selection in selection_set.selections if selection_set else ():
            inner = parents
            if isinstance(selection, FragmentSpreadNode):
                selection = fragments[selection.name.value]
            elif isinstance(selection, FieldNode) and size(selection) is not None:
                requests += parents
                inner = parents * size(selection)
                nodes += inner
            more_requests, more_nodes = walk(selection.selection_set, inner)
            requests, nodes = requests + more_requests, nodes + more_nodes
        return requests, nodes

    requests = nodes = 0
    for definition in document.definitions:
        if not isinstance(definition, FragmentDefinitionNode):
            more_requests, more_nodes = walk(definition.selection_set, 1)
            requests, nodes = requests + more_requests, nodes + more_nodes
    return max(1, int(requests / 100 + 0.5)), nodes


def rate_limited() -> dict:
    """GitHub's answer (with HTTP 200) to a query that costs more than the window has left."""
    return {"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit",
                        "message": "API rate limit exceeded for user ID 1."}]}
