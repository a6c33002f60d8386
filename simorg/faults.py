"""Injected failures: the ways a real GitHub or PagerDuty misbehaves, on demand.

A fault applies to the next `times` requests that match its service ("github", "pagerduty",
"gitlab" or "jira") and, if given, a substring of the request path (e.g. "graphql",
"/actions/runs", "/incidents", "/search/jql").
Build one with a constructor below and hand it to `SimulatedOrg.inject`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Fault:
    kind: str
    service: str
    path: str | None = None
    times: int = 1
    status: int = 0
    seconds: float = 0.0  # retry-after, reset delay or sleep, depending on kind

    def matches(self, service: str, path: str) -> bool:
        return self.times > 0 and self.service == service and (self.path is None or self.path in path)

    @classmethod
    def too_many_requests(cls, *, service: str = "github", path: str | None = None, times: int = 1,
                          retry_after: float = 1) -> Fault:
        """HTTP 429 with retry-after (GitHub) or ratelimit-reset (PagerDuty)."""
        return cls("too_many_requests", service, path, times, 429, retry_after)

    @classmethod
    def secondary_limit(cls, *, path: str | None = None, times: int = 1, retry_after: float = 1) -> Fault:
        """GitHub's secondary rate limit: 403, "You have exceeded a secondary rate limit", retry-after."""
        return cls("secondary_limit", "github", path, times, 403, retry_after)

    @classmethod
    def primary_limit(cls, *, path: str | None = None, reset_in: float = 2, status: int = 403) -> Fault:
        """Spend the token's GitHub budget for the matched request's resource (core or graphql):
        every request to it is refused (remaining 0, reset = now + reset_in) until reset passes."""
        return cls("primary_limit", "github", path, 1, status, reset_in)

    @classmethod
    def server_error(cls, *, service: str = "github", path: str | None = None, times: int = 1,
                     status: int = 502) -> Fault:
        return cls("server_error", service, path, times, status)

    @classmethod
    def slow(cls, *, service: str = "github", path: str | None = None, times: int = 1, seconds: float = 2) -> Fault:
        """Sleep before answering normally (exercises client timeouts)."""
        return cls("slow", service, path, times, 0, seconds)

    @classmethod
    def cut_connection(cls, *, service: str = "github", path: str | None = None, times: int = 1) -> Fault:
        """Send the headers and half of the body, then close the connection."""
        return cls("cut_connection", service, path, times)

    @classmethod
    def invalid_json(cls, *, service: str = "github", path: str | None = None, times: int = 1) -> Fault:
        """HTTP 200 whose body is the first half of the real JSON answer."""
        return cls("invalid_json", service, path, times, 200)

    @classmethod
    def repeated_page_token(cls, *, service: str = "jira", path: str | None = None, times: int = 2) -> Fault:
        """Jira Cloud's paging bug: the answer's nextPageToken is the one the request carried.
        `times` counts every matched request; a first page carries no token and is answered
        normally, so the default 2 repeats the token on the second page."""
        return cls("repeated_page_token", service, path, times, 200)

    @classmethod
    def graphql_errors(cls, *, times: int = 1) -> Fault:
        """GraphQL HTTP 200 with an `errors` list and no data (GitHub's answer to a timeout)."""
        return cls("graphql_errors", "github", "graphql", times, 200)


class FaultQueue:
    """Faults waiting for their requests; the first matching fault is consumed once per request."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.pending.append(fault)

    def take(self, service: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.pending:
                if fault.matches(service, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self.pending.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self.pending.clear()
