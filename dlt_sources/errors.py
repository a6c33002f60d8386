"""The errors a source raises to whoever runs it.

A `StopLoad` ends the current load early on purpose: dlt_sources.progress records how far the
load got, so its rows and cursors are committed together and the next load, or the next run,
continues from there.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


class SourceError(RuntimeError):
    """A failure the user must act on; the message says what to do."""


class StopLoad(Exception):
    """Ends the current load where it stands; what was read so far is committed with its cursors."""

    reason = "stopped"


class LoadFull(StopLoad):
    """The load has sent its share of requests (`requests_per_load`): commit, then continue."""

    reason = "load_full"


class RateLimitReached(StopLoad, SourceError):
    """The budget is spent and resets later than the source may wait. A source without progress
    (dlt_sources.progress) lets it fail the run; one with progress stops and reports how far it got."""

    reason = "rate_limit"

    def __init__(self, service: str, budget: str, resets_at: float, max_wait: float) -> None:
        self.resets_at = resets_at
        delay = max(0.0, resets_at - time.time())
        super().__init__(
            f"{service} rate limit exhausted{f' ({budget})' if budget else ''}; it resets at"
            f" {datetime.fromtimestamp(resets_at, timezone.utc):%Y-%m-%d %H:%M:%S} UTC, {delay:.0f} s from now,"
            f" more than the configured max_rate_limit_wait of {max_wait:.0f} s."
        )
