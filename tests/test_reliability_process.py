"""Faults in the process: `dora run` killed with SIGKILL during extraction, during the dbt build
and while publishing; two runs at once; a scheduled (Dagster) run overlapping a manual one.
Each time the next run completes and the published tables equal a clean run's, and a BI reader
only ever opens a whole published file. The kill during the dbt build is also run on PostgreSQL
(the representative fault of a server warehouse: transactions, advisory locks, the publish swap);
the others are DuckDB's file mechanics.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing

import pytest
from dagster import DagsterInstance
from reliability_fixtures import (
    ENGINE_SPECIFIC_COLUMNS,
    Install,
    RunProcess,
    assert_same_tables,
    copy_home,
    engine_independent,
    postgres_snapshot,
    running,
    snapshot,
)

from dora.core.home import Home
from dora.core.publish import publish
from dora.core.warehouse import open_warehouse
from dora.run_cli import run_pipeline, use_dagster_home
from orchestration.automation import refresh_selection
from orchestration.definitions import build_definitions
from bench.postgres_cluster import PIPELINE_USER
from simorg.faults import Fault

pytest_plugins = ["reliability_fixtures"]  # its session fixtures: one baseline run for all three modules

HOLD = {"RUNTIME__REQUEST_TIMEOUT": "60"}  # a held request waits instead of timing out and retrying


@pytest.mark.slow
def test_a_run_held_in_extraction_turns_away_a_second_run_holds_up_a_scheduled_one_and_is_killed(
    settings: Install, tmp_path, monkeypatch, caplog
):
    """A manual run hangs on a GitHub request; a second `dora run` exits at once; a scheduled run
    (the refresh job, as the Dagster daemon starts it) waits for the warehouse lock; the manual
    run is SIGKILLed mid-extraction; the scheduled run then completes with the clean tables."""
    home = Home(tmp_path / "home")
    org = settings.org
    held = Fault.slow(path="graphql", seconds=30, times=1000)
    org.inject(held)
    with running(home, {**settings.env, **HOLD}) as manual:
        manual.wait_for(lambda: held.times < 1000, "a GitHub request held")

        second = RunProcess(home, settings.env)
        assert second.finish(120) == 1
        assert "Another run is in progress for this data directory; try again when it ends." in second.output

        caplog.set_level(logging.INFO, logger="dora.core.warehouse_lock")
        monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
        use_dagster_home(home)
        waited = []

        def kill_once_the_scheduled_run_waits() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not waited:
                waited.extend(r.message for r in caplog.records if "waiting for it to finish" in r.message)
                time.sleep(0.1)
            org.faults.clear()
            manual.kill()

        killer = threading.Thread(target=kill_once_the_scheduled_run_waits)
        killer.start()
        defs = build_definitions(home, settings.definitions)  # the refresh job with the schedule's selection (configured sources)
        result = defs.resolve_job_def("refresh").execute_in_process(
            instance=DagsterInstance.get(), asset_selection=refresh_selection(defs.resolve_asset_graph()), raise_on_error=False
        )
        killer.join()

    assert waited == ["Another run is writing the warehouse; waiting for it to finish."]
    assert manual.process.returncode == -9
    assert "✓ extract_github" not in manual.output
    assert result.success
    assert_same_tables(snapshot(home.published), settings.baseline)


@pytest.mark.slow
def test_a_run_killed_during_the_dbt_build_is_completed_by_the_next_run(settings: Install, tmp_path):
    home = Home(tmp_path / "home")
    with running(home, settings.env) as run:
        run.wait_for_line("… dora_dbt")
        wal = home.root / "warehouse.duckdb.wal"
        run.wait_for(lambda: wal.exists() and wal.stat().st_size > 0, "dbt writing the warehouse")
        time.sleep(3)  # well into the build (seeds, history), not finished
        assert "✓ dora_dbt" not in run.output
        run.kill()
    assert not home.published.exists()  # nothing half-built was published

    run_pipeline(home, settings.definitions)

    assert_same_tables(snapshot(home.published), settings.baseline)


@pytest.mark.slow
def test_on_postgres_a_run_killed_during_the_dbt_build_is_completed_by_the_next_run(
        settings: Install, tmp_path, postgres_cluster, monkeypatch):
    """The same kill on a PostgreSQL warehouse: dbt's open transactions roll back with its session
    and the advisory locks go with the killed process; the next run publishes what the clean
    DuckDB run published (the same rows, numbers to 6 decimals, but for ENGINE_SPECIFIC_COLUMNS)."""
    database = postgres_cluster.create_database(owner=PIPELINE_USER)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_cluster.pipeline_credentials(database))
    home = Home(tmp_path / "home")
    with running(home, {**settings.env, "WAREHOUSE": "postgres"}) as run, \
            closing(postgres_cluster.connect(database)) as watcher:
        run.wait_for_line("… dora_dbt")
        run.wait_for(lambda: _schemas(watcher) >= {"definitions", "history"}, "dbt writing the warehouse")
        time.sleep(1)  # well into the build (seeds, history), not finished
        assert "✓ dora_dbt" not in run.output
        run.kill()
        assert "marts" not in _schemas(watcher)  # nothing half-built was published

    run_pipeline(home, settings.definitions, open_warehouse(home, "postgres"))

    with closing(postgres_cluster.connect(database)) as reader:
        assert_same_tables(engine_independent(postgres_snapshot(reader, ENGINE_SPECIFIC_COLUMNS)),
                           engine_independent(snapshot(settings.baseline_home.published, ENGINE_SPECIFIC_COLUMNS)))


def _schemas(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace")
        return {name for (name,) in cursor.fetchall()}


PAUSED_PUBLISH = textwrap.dedent("""
    import sys, time
    from dora.core import publish
    from dora.core.home import Home
    def pause(con):  # every table is copied to the staging file; the swap has not happened
        print("publishing: tables copied", flush=True)
        time.sleep(600)
    publish._write_source_freshness = pause
    publish.publish(Home.from_env())
""")

READER = textwrap.dedent("""
    import sys, duckdb
    path, tables = sys.argv[1], int(sys.argv[2])
    print("reading", flush=True)
    opened = 0
    while not sys.stdin.closed:
        try:
            con = duckdb.connect(path, read_only=True)
        except duckdb.Error as error:
            print("ERROR", error, flush=True)
            break
        seen = con.execute("select count(*) from information_schema.tables where table_schema in ('history', 'marts')").fetchall()[0][0]
        con.close()
        if seen != tables:
            print("PARTIAL", seen, flush=True)
            break
        opened += 1
        import select
        if select.select([sys.stdin], [], [], 0.02)[0]:
            break
    print("opened", opened, flush=True)
""")


@pytest.mark.slow
def test_a_run_killed_while_publishing_leaves_readers_the_previous_file(settings: Install, tmp_path):
    home = copy_home(settings.baseline_home, tmp_path / "home")
    before = home.published.stat().st_ino
    with running(home, settings.env, [sys.executable, "-c", PAUSED_PUBLISH]) as publisher:
        publisher.wait_for_line("publishing: tables copied")
        publisher.kill()
    assert home.published.stat().st_ino == before
    assert_same_tables(snapshot(home.published), settings.baseline)

    # The next run, with a BI tool opening the published file again and again meanwhile.
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home.published), str(len(settings.baseline))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout.readline() == "reading\n"
    run_pipeline(home, settings.definitions)
    out, _ = reader.communicate("\n", timeout=60)

    assert out.startswith("opened ") and int(out.split()[1]) > 0, out
    assert home.published.stat().st_ino != before
    assert_same_tables(snapshot(home.published), settings.baseline)


def test_the_next_publish_removes_the_staging_file_of_a_killed_one(settings: Install, tmp_path):
    home = copy_home(settings.baseline_home, tmp_path / "home")
    stale = home.published.with_name(f".{home.published.name}.{os.getpid() + 1}.tmp")
    stale.write_bytes(b"half a DuckDB file")
    previous = home.published.resolve().parent.name
    publish(home)
    # the link, the new version and the one before it (dora.core.publish)
    assert sorted(p.name for p in home.published.parent.iterdir()) == sorted(
        ["dora.duckdb", previous, home.published.resolve().parent.name])
