"""One writer at a time: an advisory file lock around every step that writes the warehouse.

DuckDB refuses a second writing process with "Could not set lock on file". Every step that
opens the warehouse for writing (dlt loads, dbt builds, publishing) takes this lock first, so
a scheduled run and a manual `dora run` queue behind each other instead of crashing.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from dora.home import Home

log = logging.getLogger(__name__)


@contextmanager
def warehouse_lock(home: Home) -> Iterator[None]:
    """Hold the warehouse write lock, waiting for another process that holds it."""
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.root / "warehouse.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("Another run is writing the warehouse; waiting for it to finish.")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def run_lock(home: Home) -> Iterator[bool]:
    """Try to become the only `dora run` of this home; yields False when another holds it."""
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.root / "run.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
