"""What an API's rate limit leaves and what a request costs, so a source stops *before* a request
it cannot afford (or waits, when the reset is near) instead of meeting a refusal.

GitHub keeps two budgets per token, refilled every hour: `core` (REST, one per request; a 304
answer costs nothing) and `graphql` (points per query, `graphql_cost`). Every answer says what is
left: headers x-ratelimit-resource / -remaining / -reset (epoch seconds), and a GraphQL query that
asks for `rateLimit { cost remaining resetAt }` in its own data.

A spent budget that resets later than `max_wait` raises RateLimitReached (dlt_sources.errors).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Optional

from graphql import FieldNode, IntValueNode, OperationDefinitionNode, parse

from dlt_sources.errors import RateLimitReached


@dataclass
class Remaining:
    points: int
    resets_at: float  # epoch seconds


class RateLimits:
    """Per budget (GitHub: "core", "graphql"), what the last answer said is left and when it resets."""

    def __init__(self, service: str, max_wait: float) -> None:
        self.service = service
        self.max_wait = max_wait
        self.known: dict[str, Remaining] = {}

    def record(self, headers: Any, body: Any = None) -> None:
        """Remember what an answer says is left (a GraphQL body's rateLimit wins over headers)."""
        budget = headers.get("x-ratelimit-resource")
        if budget and "x-ratelimit-remaining" in headers and "x-ratelimit-reset" in headers:
            self.known[budget] = Remaining(int(headers["x-ratelimit-remaining"]), float(headers["x-ratelimit-reset"]))
        rate = ((body.get("data") or {}) if isinstance(body, dict) else {}).get("rateLimit")
        if rate and "remaining" in rate and "resetAt" in rate:
            resets_at = datetime.fromisoformat(rate["resetAt"].replace("Z", "+00:00")).timestamp()
            self.known["graphql"] = Remaining(int(rate["remaining"]), resets_at)

    def reserve(self, budget: str, cost: int) -> None:
        """Return when a request of `cost` can be afforded: at once, after waiting for a reset at
        most max_wait away, else raise RateLimitReached."""
        known = self.known.get(budget)
        if known is None or known.points >= cost or known.resets_at <= time.time():
            return
        delay = known.resets_at - time.time()
        if delay > self.max_wait:
            raise RateLimitReached(self.service, budget, known.resets_at, self.max_wait)
        time.sleep(delay + 1)  # reset times are whole seconds: wait past the one named
        del self.known[budget]


@lru_cache(maxsize=256)
def graphql_cost(query: str) -> int:
    """GitHub's rate-limit score of a query ("Calculating a rate limit score before running the
    call"): each connection (a field with `first` or `last`) needs one request per node its parent
    connections can hold; the sum of those requests / 100, rounded, is the cost, at least 1.
    E.g. pullRequests(first: 100) with labels(first: 100) and commits(first: 1) inside:
    1 + 100 + 100 = 201 requests -> 2 points. Page sizes must be literals (as in every query here)."""

    def requests(selections: Any, parents: int) -> int:
        total = 0
        for selection in selections or ():
            size = parents
            if isinstance(selection, FieldNode):
                limits = [arg.value for arg in selection.arguments if arg.name.value in ("first", "last")]
                if limits:
                    if not isinstance(limits[0], IntValueNode):
                        raise ValueError(f"page size of {selection.name.value} must be a literal to be priced")
                    total += parents
                    size = parents * int(limits[0].value)
            inner = getattr(selection, "selection_set", None)
            total += requests(inner.selections if inner else (), size)
        return total

    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    total = sum(requests(operation.selection_set.selections, 1) for operation in operations)
    return max(1, math.floor(total / 100 + 0.5))


def github_request_cost(request: Any) -> tuple[str, int]:
    """(budget, cost) of a GitHub request: a GraphQL query its score, any REST request 1 of `core`
    (a 304 answer turns out free, but a spent budget refuses the request before knowing that)."""
    query = (request.json or {}).get("query") if isinstance(request.json, dict) else None
    return ("graphql", graphql_cost(query)) if query else ("core", 1)
