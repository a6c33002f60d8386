"""One writer at a time: the warehouse's write lock, and the run lock of a data directory.

DuckDB refuses a second writing process with "Could not set lock on file". Every step that
opens the warehouse for writing (dlt loads, dbt builds, publishing) holds the write lock, so a
scheduled run and a manual `dora run` queue behind each other instead of crashing; a second
`dora run` of the same home is refused at once by the run lock.

A write lock is a `WriteLock`: it says how to try to take the lock and how to wait for it, and
`held()` does the rest (the same for every warehouse). `FileWriteLock` is DuckDB's, a flock
below DORA_HOME; a warehouse in a database server takes a lock of its own kind there instead.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from dora.core.files import locked
from dora.core.home import Home

log = logging.getLogger(__name__)


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


@contextmanager
def run_lock(home: Home) -> Iterator[bool]:
    """Try to become the only `dora run` of this home; yields False when another holds it."""
    home.root.mkdir(parents=True, exist_ok=True)
    with locked(home.root / "run.lock", os.O_RDWR | os.O_CREAT, wait=False) as descriptor:
        yield descriptor is not None
