"""The warehouse's write lock: what every implementation shares (`WriteLock.held`), and DuckDB's flock."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from dora.core.warehouse_lock import FileWriteLock, WriteLock

WAITING = "Another run is writing the warehouse; waiting for it to finish."


class ScriptedLock(WriteLock):
    """A lock that another process holds (or not) at the first try; records every try."""

    def __init__(self, busy: bool):
        self.busy = busy
        self.tries: list[str] = []

    @contextmanager
    def acquired(self, wait: bool) -> Iterator[bool]:
        self.tries.append("wait" if wait else "try")
        yield wait or not self.busy


def test_held_takes_a_free_lock_at_once_and_waits_for_a_busy_one_saying_so(caplog):
    caplog.set_level(logging.INFO, logger="dora.core.warehouse_lock")
    free, busy = ScriptedLock(busy=False), ScriptedLock(busy=True)
    with free.held():
        pass
    assert (free.tries, caplog.messages) == (["try"], [])
    with busy.held():
        pass
    assert (busy.tries, caplog.messages) == (["try", "wait"], [WAITING])


def test_the_file_lock_is_refused_while_another_process_holds_it_and_free_after(tmp_path):
    lock = FileWriteLock(tmp_path / "warehouse.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
                               "print('held', flush=True); sys.stdin.read()", str(lock.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    with lock.acquired(wait=False) as acquired:
        assert acquired is False
    holder.stdin.close()
    holder.wait(timeout=30)
    with lock.acquired(wait=False) as acquired:
        assert acquired is True
