"""One writer at a time: advisory file locks below DORA_HOME.

DuckDB refuses a second writing process with "Could not set lock on file". Every step that
opens the warehouse for writing (dlt loads, dbt builds, publishing) takes the warehouse lock
first, so a scheduled run and a manual `dora run` queue behind each other instead of crashing;
a second `dora run` of the same home is refused at once by the run lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dora.core.files import locked
from dora.core.home import Home

log = logging.getLogger(__name__)


@contextmanager
def warehouse_lock(home: Home) -> Iterator[None]:
    """Hold the warehouse write lock, waiting for another process that holds it."""
    with _flock(home.root / "warehouse.lock") as acquired:
        if not acquired:
            log.info("Another run is writing the warehouse; waiting for it to finish.")
            with _flock(home.root / "warehouse.lock", wait=True):
                yield
        else:
            yield


@contextmanager
def run_lock(home: Home) -> Iterator[bool]:
    """Try to become the only `dora run` of this home; yields False when another holds it."""
    with _flock(home.root / "run.lock") as acquired:
        yield acquired


@contextmanager
def _flock(path: Path, wait: bool = False) -> Iterator[bool]:
    """An exclusive flock on `path`; yields whether it was acquired (always, when waiting)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path, os.O_RDWR | os.O_CREAT, wait=wait) as descriptor:
        yield descriptor is not None
