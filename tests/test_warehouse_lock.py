"""The warehouse's write lock: what every implementation shares (`WriteLock.held`), DuckDB's flock,
and PostgreSQL's advisory locks (a writing step's, a whole run's), each against another process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from dora.cli import main
from dora.core.postgres import PostgresWarehouse
from dora.core.warehouse_lock import FileWriteLock, WriteLock
from bench.postgres_cluster import PIPELINE_USER

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


# --- PostgreSQL: advisory locks of the warehouse's database, between processes ---------------------

HOLDER = """
import sys
from dora.core.postgres import PostgresWarehouse
lock = getattr(PostgresWarehouse.from_settings(), sys.argv[1])()
with lock.acquired(wait=False) as acquired:
    print("held" if acquired else "busy", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def shared_database(postgres_cluster, monkeypatch) -> str:
    """One database that every process of the test (installs on different machines, say) points at."""
    database = postgres_cluster.create_database(owner=PIPELINE_USER)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_cluster.pipeline_credentials(database))
    return database


@contextmanager
def held_elsewhere(lock: str) -> Iterator[subprocess.Popen]:
    """Another process holding the warehouse's `lock` ("write_lock" or "run_lock") until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, lock], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=os.environ.copy())
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_the_advisory_write_lock_is_refused_while_another_process_holds_it_and_free_after(shared_database):
    warehouse = PostgresWarehouse.from_settings()
    with held_elsewhere("write_lock"):
        with warehouse.write_lock().acquired(wait=False) as acquired:
            assert acquired is False
        with warehouse.run_lock().acquired(wait=False) as acquired:  # another key: a run holds both
            assert acquired is True
    with warehouse.write_lock().acquired(wait=False) as acquired:
        assert acquired is True


def test_a_killed_holder_frees_the_advisory_lock(shared_database):
    warehouse = PostgresWarehouse.from_settings()
    with held_elsewhere("write_lock") as holder:
        holder.kill()
        holder.wait(timeout=30)
        # the server ends the dead client's session (its socket closed), and the lock with it
        deadline = time.monotonic() + 10
        while True:
            with warehouse.write_lock().acquired(wait=False) as acquired:
                if acquired or time.monotonic() > deadline:
                    break
            time.sleep(0.1)
        assert acquired is True


def test_a_second_install_on_the_same_database_is_turned_away_while_one_runs(shared_database, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCES__PAGERDUTY__API_KEY", "unused")  # a configured source: the run gets to its lock
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "second_install"))
    with held_elsewhere("run_lock"):  # the first install's `dora run`, its own data directory elsewhere
        result = CliRunner().invoke(main, ["run", "--warehouse", "postgres"])
    location = PostgresWarehouse.from_settings().describe()
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        1, f"Error: Another install is running on the warehouse {location}; try again when it ends.")
