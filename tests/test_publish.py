"""Publishing for BI readers in one process (a pooled BI server): a new publish is what a new
connection sees, while connections still open keep their file. Against a hand-made warehouse, no
pipeline run."""

from __future__ import annotations

import os

import duckdb
import pytest

from dora.core.home import Home
from dora.core.publish import publish


def deploy(home: Home, *ids: str) -> None:
    """The warehouse's marts.deployments gets these rows (created on first use)."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table if not exists marts.deployments (deployment_id varchar)")
        con.executemany("insert into marts.deployments values (?)", [[id_] for id_ in ids])


def deployments(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [id_ for (id_,) in con.execute("select deployment_id from marts.deployments order by 1").fetchall()]


def test_duckdb_serves_a_replaced_file_s_old_contents_while_a_connection_to_it_is_open(tmp_path):
    """Why each publish has a new file name: DuckDB caches one instance per path per process."""
    for name, value in (("old.duckdb", 1), ("new.duckdb", 2)):
        with duckdb.connect(str(tmp_path / name)) as con:
            con.execute(f"create table t as select {value} as v")
    path = tmp_path / "published.duckdb"
    os.replace(tmp_path / "old.duckdb", path)
    held = duckdb.connect(str(path), read_only=True)
    os.replace(tmp_path / "new.duckdb", path)
    reconnected = duckdb.connect(str(path), read_only=True)
    assert reconnected.execute("select v from t").fetchall() == [(1,)]  # the replaced file
    held.close()
    reconnected.close()


def test_a_new_connection_sees_the_new_publish_while_old_connections_stay_open(home):
    deploy(home, "d-1")
    publish(home)
    first = duckdb.connect(str(home.published), read_only=True)
    deploy(home, "d-2")
    publish(home)
    second = duckdb.connect(str(home.published), read_only=True)
    deploy(home, "d-3")
    publish(home)
    third = duckdb.connect(str(home.published), read_only=True)

    assert (deployments(first), deployments(second), deployments(third)) == (
        ["d-1"], ["d-1", "d-2"], ["d-1", "d-2", "d-3"])
    # The catalog keeps its name (BI tools may show or use it) whichever version is open.
    assert third.execute("select current_database()").fetchall() == [("dora",)]
    # The link, the current version and the previous one; the first was deleted (its open
    # connection keeps reading it).
    entries = sorted(path.name for path in home.published.parent.iterdir())
    assert len(entries) == 3 and entries[0] == "dora.duckdb" and home.published.is_symlink()
    assert home.published.resolve().parent.name == entries[2]
    for con in (first, second, third):
        con.close()


def test_a_publish_killed_before_its_swap_is_cleaned_up_by_the_next(home, monkeypatch):
    deploy(home, "d-1")
    publish(home)
    current = home.published.resolve()

    def killed(*_args):
        raise KeyboardInterrupt  # as a kill between writing the new version and the swap

    monkeypatch.setattr("dora.core.publish.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        publish(home)
    monkeypatch.undo()
    assert home.published.resolve() == current
    assert len(list(home.published.parent.iterdir())) == 4  # link, current, unswapped version, its link

    publish(home)
    assert sorted(path.name for path in home.published.parent.iterdir()) == sorted(
        ["dora.duckdb", current.parent.name, home.published.resolve().parent.name])
