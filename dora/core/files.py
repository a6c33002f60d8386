"""The two file primitives every durable writer of an install shares: an exclusive lock and fsync.

The warehouse and run locks, the landing files of the custom API and the definition files all
serialize their writers with `locked` and make a write (or a rename, or a new file) survive a
crash with `fsync`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(path: Path, flags: int = os.O_RDONLY, wait: bool = True) -> Iterator[int | None]:
    """An exclusive flock on `path` (a file, or a directory), opened with `flags`: yields the open
    descriptor, or None when `wait` is False and another process holds the lock. The kernel drops
    the lock when the descriptor closes, also when its process is killed."""
    descriptor = os.open(path, flags, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield descriptor
    finally:
        os.close(descriptor)


def fsync(path: Path) -> None:
    """Flush a file's content, or a directory's entries (a new file, a rename), to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
