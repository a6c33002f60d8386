"""One writer at a time: the warehouse's write lock, and the run lock of a data directory.

DuckDB refuses a second writing process with "Could not set lock on file". Every step that
opens the warehouse for writing (dlt loads, dbt builds, publishing) holds the write lock, so a
scheduled run and a manual `dora run` queue behind each other instead of crashing; a second
`dora run` of the same home is refused at once by the run lock.

A write lock is a `WriteLock`: it says how to try to take the lock and how to wait for it, and
`held()` does the rest (the same for every warehouse). `FileWriteLock` is DuckDB's, a flock
below DORA_HOME; `AdvisoryLock` is PostgreSQL's, a session-level advisory lock of the warehouse's
database, so installs on different machines pointing at one database take turns too.
"""

from __future__ import annotations

import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dora.core.files import locked
from dora.core.home import Home

log = logging.getLogger(__name__)


def _advisory_key(name: str) -> int:
    """A 64-bit advisory lock key; locks belong to one database, so installs share a key only there."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


WRITE_KEY = _advisory_key("dora-pipeline warehouse writer")  # held by each writing step
RUN_KEY = _advisory_key("dora-pipeline run")  # held by a whole `dora run`


class WriteLock(ABC):
    """The lock every writer of one warehouse holds while it writes."""

    @abstractmethod
    def acquired(self, wait: bool) -> AbstractContextManager[bool]:
        """Hold the lock for the block; yields False (holding nothing) when `wait` is False and
        another process holds it."""

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block, waiting (and saying so) while another process holds it."""
        with self.acquired(wait=False) as acquired:
            if acquired:
                yield
                return
        log.info("Another run is writing the warehouse; waiting for it to finish.")
        with self.acquired(wait=True):
            yield


@dataclass(frozen=True)
class FileWriteLock(WriteLock):
    """A flock on a file beside a DuckDB warehouse (DuckDB itself refuses a second writer)."""

    path: Path

    @contextmanager
    def acquired(self, wait: bool) -> Iterator[bool]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self.path, os.O_RDWR | os.O_CREAT, wait=wait) as descriptor:
            yield descriptor is not None


@dataclass(frozen=True)
class AdvisoryLock(WriteLock):
    """A PostgreSQL session-level advisory lock on `key`, held by a connection of its own (from
    `connect`, a psycopg2-style connection in autocommit mode) for the block: closing it, or the
    death of its process, releases the lock."""

    connect: Callable[[], Any]
    key: int

    @contextmanager
    def acquired(self, wait: bool) -> Iterator[bool]:
        with closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f"select {'pg_advisory_lock' if wait else 'pg_try_advisory_lock'}(%s)", [self.key])
            yield wait or cursor.fetchone()[0]


@contextmanager
def run_lock(home: Home) -> Iterator[bool]:
    """Try to become the only `dora run` of this home; yields False when another holds it."""
    home.root.mkdir(parents=True, exist_ok=True)
    with locked(home.root / "run.lock", os.O_RDWR | os.O_CREAT, wait=False) as descriptor:
        yield descriptor is not None
