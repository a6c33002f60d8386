"""Dagster's run history (its SQLite storage under $DORA_HOME/dagster) written without a disk
flush per event, while a run executes in this process.

Dagster's SQLite storages open a new connection for every event they store (~300 a run: step
outputs, materializations, planned materializations, checks). In WAL mode the close of a
database's last connection checkpoints the WAL into the database and flushes it to disk: ~20 ms
an event on a shared virtual disk, 5-25 s of a `dora run` with nothing new. While a run
executes, one idle connection per database is held open, so a close is not the last and does
not checkpoint, and each connection commits with `synchronous=NORMAL`, which in WAL mode stays
safe from corruption (SQLite docs, "PRAGMA synchronous"): a power cut can lose the last events,
never the database. SQLite checkpoints as usual when the WAL grows past 1,000 pages and when the
held connections close at the end of the run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def run_history_without_flush_per_event() -> Iterator[None]:
    """While the block runs, SQLite connections SQLAlchemy opens in this process (Dagster's
    storages) commit without a flush and close without a checkpoint (module docstring)."""
    held: dict[str, sqlite3.Connection] = {}

    def on_connect(connection, _record) -> None:
        if not isinstance(connection, sqlite3.Connection):
            return
        connection.execute("PRAGMA synchronous=NORMAL")
        [(journal_mode,)] = connection.execute("PRAGMA journal_mode").fetchall()
        path = connection.execute("PRAGMA database_list").fetchone()[2]
        # A database not yet in WAL mode (a run's new event log, before Dagster sets WAL) is
        # held from its next connection on: a connection opened before the switch would not
        # count as one of the WAL's.
        if journal_mode == "wal" and path and path not in held:
            holder = sqlite3.connect(path, check_same_thread=False)
            holder.execute("select count(*) from sqlite_master").fetchall()  # joins the WAL, no lock kept
            held[path] = holder

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
        for holder in held.values():
            holder.close()
