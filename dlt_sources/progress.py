"""Extraction in passes that survive an interrupted run.

A resource reads its *units* (GitHub repositories, GitLab and Jira projects) one after another;
one walk over all of them is a *pass*. The resource's dlt state keeps, per unit, its cursor and,
while a read of it is under way, where that read stands (to the page); and for the pass, which
units are done. A load (one `pipeline.run`) may end before the pass does: once the source has sent
`requests_per_load` requests (at the next page boundary), or at a rate limit that resets later than
the source may wait. dlt commits the rows and the state of a load together (resource state is part
of the load package), so the next load, or the next run, continues the pass where the last
committed load stopped: a killed run loses at most the load in flight, a rate limit nothing.

`load_until_done` runs loads until every selected resource has finished its pass (a resource
that has finished sits out the later loads of the run), and raises a SourceError saying how far
each got and when to resume if a rate limit stopped them.

dlt's own incremental keeps one cursor per resource; a repository added later needs its own, so
the cursors live in resource state (dlt's mechanism for custom incremental state).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, TypeVar

import dlt
from dlt.extract.source import DltSource

from dlt_sources.errors import LoadFull, SourceError, StopLoad
from dlt_sources.http import CheckedRESTClient
from dlt_sources.rows import format_time, parse_time

DEFAULT_REQUESTS_PER_LOAD = 500
T = TypeVar("T")


class Pass:
    """One resource's pass over its units, kept in its dlt resource state (made inside the
    resource's generator, where dlt.current.resource_state() is that resource's)."""

    def __init__(self, units: list[str], noun: str, client: CheckedRESTClient, requests_per_load: int) -> None:
        state = dlt.current.resource_state()
        self.units = units
        self.unit_states: dict[str, dict[str, Any]] = state.setdefault("units", {})
        current = state.get("pass")
        if current is None or not current["left"]:  # the last pass finished (or none yet): a new one
            current = state["pass"] = {"started_at": format_time(datetime.now(timezone.utc)), "done": []}
        current.update(noun=noun, left=self.pending(current), stopped=None)
        self.state = current
        self.client = client
        self.requests_per_load = requests_per_load

    def pending(self, state: Optional[dict[str, Any]] = None) -> list[str]:
        done = set((state or self.state)["done"])
        return [unit for unit in self.units if unit not in done]

    def unit(self, name: str) -> dict[str, Any]:
        return self.unit_states.setdefault(name, {})

    def checkpoint(self) -> None:
        """Called between pages and units: end the load here once it has sent its share of requests."""
        if self.client.requests_sent >= self.requests_per_load:
            raise LoadFull()

    def read(
        self,
        read_unit: Callable[[str, dict[str, Any]], Iterator[T]],
        unchanged: Optional[Callable[[list[str]], Iterable[str]]] = None,
    ) -> Iterator[T]:
        """read_unit(unit, its state) for each unit this pass has not done, until a stop.
        `unchanged(pending units)` may first name units known to have nothing new (done at once)."""
        try:
            if unchanged is not None:
                self.state["done"] += list(unchanged(self.pending()))
                self.checkpoint()
            for unit in self.pending():
                self.checkpoint()
                yield from read_unit(unit, self.unit(unit))
                self.state["done"].append(unit)
        except StopLoad as stop:
            self.state["stopped"] = {"reason": stop.reason, "message": str(stop)}
        self.state["left"] = self.pending()


def read_newest_first(
    unit: dict[str, Any],
    pages: Callable[[dict[str, Any]], Iterator[tuple[list[dict[str, Any]], Optional[str]]]],
    field: str,
    start: datetime,
    lag: timedelta,
    checkpoint: Callable[[], None],
) -> Iterator[list[dict[str, Any]]]:
    """The rows of one unit's list that its API sorts newest first on `field`, down to the floor:
    the unit's cursor minus `lag`, not before `start` (its first read: `start`, the backfill).

    `pages(read)` yields (rows, where the next page resumes or None at the end) from `read["resume"]`
    (None: the first page) and may put into `read["commit"]` what the unit keeps once the read is
    complete (an ETag, a fingerprint). Between pages the read's position is in `unit["read"]`, so
    an interrupted read resumes at the page where it stopped; once complete the unit's cursor is
    the newest value read."""
    if "read" not in unit:
        cursor = parse_time(unit.get("cursor"))
        floor = max(cursor - lag, start) if cursor else start
        unit["read"] = {"floor": format_time(floor), "resume": None, "newest": None}
    read = unit["read"]
    floor = parse_time(read["floor"])
    for rows, resume in pages(read):
        if rows and read["newest"] is None:
            read["newest"] = format_time(rows[0][field])
        kept = [row for row in rows if row[field] >= floor]
        read["resume"] = resume
        if kept:
            yield kept
        if resume is None or len(kept) < len(rows):
            break
        checkpoint()
    newest = [value for value in (unit.get("cursor"), read["newest"]) if value]
    if newest:
        unit["cursor"] = format_time(max(parse_time(value) for value in newest))
    unit.update(read.get("commit", {}))
    del unit["read"]


def read_oldest_first(
    unit: dict[str, Any],
    pages: Callable[[datetime], Iterator[tuple[list[dict[str, Any]], bool]]],
    field: str,
    start: datetime,
    lag: timedelta,
    checkpoint: Callable[[], None],
) -> Iterator[list[dict[str, Any]]]:
    """The rows of one unit's list that its API sorts oldest first on `field` and filters to
    changes at or after a time: `pages(since)` yields (rows, whether more pages follow) from the
    floor (the unit's cursor minus `lag`, not before `start`; its first read: `start`). Each page
    moves the read's position to its newest row, so an interrupted read resumes there (re-reading
    at most that row); once complete the unit's cursor is the newest value read."""
    if "read" not in unit:
        cursor = parse_time(unit.get("cursor"))
        unit["read"] = {"from": format_time(max(cursor - lag, start) if cursor else start)}
    read = unit["read"]
    for rows, more in pages(parse_time(read["from"])):
        if rows:
            read["from"] = format_time(max(parse_time(read["from"]), *(row[field] for row in rows)))
            read["newest"] = read["from"]
            yield rows
        if more:
            checkpoint()
    newest = [value for value in (unit.get("cursor"), read.get("newest")) if value]
    if newest:
        unit["cursor"] = format_time(max(parse_time(value) for value in newest))
    del unit["read"]


def load_until_done(make_source: Callable[[], DltSource], load: Callable[[DltSource], T], pipeline: dlt.Pipeline) -> list[T]:
    """`load(make_source())`, then loads of only the resources whose pass is unfinished, until
    every selected resource that reads in passes has finished; the results of every load. Raises
    SourceError when rate limits stop every unfinished pass, saying how far each got and when
    the limit resets (the next run resumes there)."""
    results: list[T] = []
    source = make_source()
    while True:
        results.append(load(source))
        passes = resource_passes(pipeline, source)
        unfinished = [name for name, state in passes.items() if state["left"]]
        if not unfinished:
            return results
        if not any((passes[name]["stopped"] or {}).get("reason") == LoadFull.reason for name in unfinished):
            raise SourceError(progress_report(source.name, passes))
        # the unfinished, and what keeps no pass (a transformer fed by one of them)
        source = make_source().with_resources(*[name for name in source.selected_resources
                                                if name in unfinished or name not in passes])


def resource_passes(pipeline: dlt.Pipeline, source: DltSource) -> dict[str, dict[str, Any]]:
    """The pass state of each selected resource of `source` that keeps one, as last committed."""
    resources = pipeline.state.get("sources", {}).get(source.name, {}).get("resources", {})
    return {name: resources[name]["pass"] for name in source.selected_resources if "pass" in resources.get(name, {})}


def progress_report(source: str, passes: dict[str, dict[str, Any]]) -> str:
    stops = sorted({state["stopped"]["message"] for state in passes.values() if state["left"] and state["stopped"]})
    progress = "; ".join(
        f"{name} {len(state['done'])} of {len(state['done']) + len(state['left'])} {state['noun']} done"
        + (f", {len(state['left'])} left" if state["left"] else "")
        for name, state in sorted(passes.items())
    )
    return (f"{source} stopped before finishing: {' '.join(stops) or 'no reason recorded.'} What was read is stored"
            f" ({progress}); the next run continues from there once the limit has reset (the hourly"
            f" schedule does this by itself).")
