"""`dora demo --warehouse postgres` against a running server: the whole demo builds and publishes
into that database, and the command it prints to look at the result reads that database, not the
configured (DuckDB) warehouse."""

from __future__ import annotations

import shlex
from contextlib import closing

import pytest
from click.testing import CliRunner

from bench.postgres_cluster import PIPELINE_USER
from dora.cli import main

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

CREDENTIALS = "DESTINATION__POSTGRES__CREDENTIALS"


def test_the_demo_runs_on_postgres_and_names_the_warehouse_to_look_at(tmp_path, monkeypatch, postgres_cluster):
    database = postgres_cluster.create_database(owner=PIPELINE_USER)
    monkeypatch.setenv("DORA_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv(CREDENTIALS, postgres_cluster.pipeline_credentials(database))
    monkeypatch.delenv("WAREHOUSE", raising=False)

    result = CliRunner().invoke(main, ["demo", "--warehouse", "postgres"])
    assert result.exit_code == 0, result.output
    assert "DORA metrics, whole organisation, last 30 days:" in result.output
    status_line = result.output.splitlines()[-2]
    assert status_line == f"The demo keeps its own data directory: DORA_HOME={tmp_path / 'demo'} dora status --warehouse postgres"
    with closing(postgres_cluster.connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from marts.deployments")
        [(deployments,)] = cursor.fetchall()
        cursor.execute("select count(*) from marts_build.deployments")
        [(built,)] = cursor.fetchall()
    assert deployments == built > 0  # dbt built into marts_build; the publish copied all of it to marts

    # the printed command, as printed, reads the same published marts
    command = shlex.split(status_line.split(": ", 1)[1])
    monkeypatch.setenv("DORA_HOME", command[0].split("=", 1)[1])
    status = CliRunner().invoke(main, command[2:])
    assert status.exit_code == 0, status.output
    assert f"  marts.deployments            {deployments:>9,} rows" in status.output.splitlines()
