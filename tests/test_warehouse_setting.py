"""Choosing the warehouse (dlt's setting `warehouse`, or --warehouse) and connecting to a
PostgreSQL one through dlt's credentials: what a user gets wrong is named, the password never
shown, and dbt's profile holds everything but the password. No pipeline run."""

from __future__ import annotations

import subprocess
import sys
from contextlib import closing

import pytest
import yaml
from click.testing import CliRunner

from dora.cli import main
from dora.core.home import PROJECT_ROOT
from dora.core.postgres import PostgresWarehouse, credentials_from_settings
from dora.core.warehouse import WarehouseUnusable, warehouse_kind
from orchestration.dbt_install import install_profile
from bench.postgres_cluster import PIPELINE_PASSWORD, PIPELINE_USER

CREDENTIALS = "DESTINATION__POSTGRES__CREDENTIALS"


def test_duckdb_unless_the_setting_or_the_option_says_postgres(monkeypatch):
    monkeypatch.delenv("WAREHOUSE", raising=False)
    assert warehouse_kind() == "duckdb"
    monkeypatch.setenv("WAREHOUSE", "postgres")
    assert (warehouse_kind(), warehouse_kind("duckdb")) == ("postgres", "duckdb")
    monkeypatch.setenv("WAREHOUSE", "snowflake")
    with pytest.raises(WarehouseUnusable) as refused:
        warehouse_kind()
    assert str(refused.value) == ("Unknown warehouse 'snowflake' (setting `warehouse`, env WAREHOUSE, or "
                                  "--warehouse): choose one of duckdb, postgres.")


def test_the_setting_may_be_in_dlt_config_toml(tmp_path):
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text('warehouse = "postgres"\n')
    read = subprocess.run([sys.executable, "-c", "from dora.core.warehouse import warehouse_kind; print(warehouse_kind())"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)})
    assert (read.returncode, read.stdout, read.stderr) == (0, "postgres\n", "")


def test_a_missing_connection_or_password_is_named(home, monkeypatch):
    monkeypatch.delenv(CREDENTIALS, raising=False)
    result = CliRunner().invoke(main, ["run", "--warehouse", "postgres"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == (
        f"Error: The warehouse is postgres, but destination.postgres.credentials is not set: set {CREDENTIALS}="
        "postgresql://user:password@host:port/database (or [destination.postgres] credentials = \"...\" in "
        ".dlt/secrets.toml). dlt requires a password even for a server that does not ask for one.")
    monkeypatch.setenv(CREDENTIALS, "postgresql://someone@db.example:5433/dora")
    with pytest.raises(WarehouseUnusable, match="credentials lacks password: set"):
        credentials_from_settings()
    monkeypatch.setenv(CREDENTIALS, "db.example:5433")
    with pytest.raises(WarehouseUnusable, match="credentials is not a connection string: set"):
        credentials_from_settings()


@pytest.fixture
def database(postgres_cluster) -> str:
    return postgres_cluster.create_database(owner=PIPELINE_USER)


def test_a_refused_password_is_named_by_the_server_and_never_shown(home, postgres_cluster, database):
    wrong = "not-the-Password-42"
    result = CliRunner().invoke(main, ["status", "--warehouse", "postgres"],
                                env={CREDENTIALS: postgres_cluster.pipeline_credentials(database, wrong)})
    assert result.exit_code == 1
    assert result.output.startswith(
        "Last run: none yet (run `dora run`).\n"  # Dagster's record of the install, then the warehouse
        f"Error: Cannot connect to the warehouse postgresql://{PIPELINE_USER}@127.0.0.1:{postgres_cluster.port}/"
        f"{database} (destination.postgres.credentials): connection to server at \"127.0.0.1\", port "
        f"{postgres_cluster.port} failed: FATAL:  password authentication failed for user \"{PIPELINE_USER}\"")
    assert wrong not in result.output


def test_dbts_profile_holds_no_connection_which_dbt_gets_from_dlts_credentials_while_it_runs(
        postgres_cluster, database, monkeypatch):
    monkeypatch.setenv(CREDENTIALS, postgres_cluster.pipeline_credentials(database) + "?sslmode=disable")
    monkeypatch.delenv("PGOPTIONS", raising=False)
    warehouse = PostgresWarehouse.from_settings()
    profile = yaml.safe_load(install_profile(warehouse))["dora"]
    assert profile["target"] == "postgres"
    assert profile["outputs"]["postgres"] == {
        "type": "postgres", "host": "{{ env_var('DORA_PG_HOST', 'localhost') }}",
        "port": "{{ env_var('DORA_PG_PORT', '5432') | as_number }}", "user": "{{ env_var('DORA_PG_USER') }}",
        "password": "{{ env_var('DBT_ENV_SECRET_DORA_PG_PASSWORD', '') }}", "dbname": "{{ env_var('DORA_PG_DBNAME') }}",
        "sslmode": "{{ env_var('DORA_PG_SSLMODE', 'prefer') }}", "schema": "marts_build", "threads": 1}
    assert warehouse.dbt_environment() == {
        "DORA_PG_HOST": "127.0.0.1", "DORA_PG_PORT": str(postgres_cluster.port), "DORA_PG_USER": PIPELINE_USER,
        "DORA_PG_DBNAME": database, "DORA_PG_SSLMODE": "disable", "DBT_ENV_SECRET_DORA_PG_PASSWORD": PIPELINE_PASSWORD,
        "PGOPTIONS": "-c jit=off"}
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=0")  # the user's own session settings come first
    assert warehouse.dbt_environment()["PGOPTIONS"] == "-c statement_timeout=0 -c jit=off"
    assert PIPELINE_PASSWORD not in install_profile(warehouse) + repr(warehouse) + warehouse.describe()


def test_the_demo_never_writes_into_a_database_holding_an_installs_history(home, postgres_cluster, database):
    with closing(postgres_cluster.connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(f"create schema history authorization {PIPELINE_USER}")
    result = CliRunner().invoke(main, ["demo", "--warehouse", "postgres"],
                                env={CREDENTIALS: postgres_cluster.pipeline_credentials(database)})
    assert result.exit_code == 1
    assert result.output == (
        f"Error: postgresql://{PIPELINE_USER}@127.0.0.1:{postgres_cluster.port}/{database} holds an install's "
        "history, which the demo's simulated records must never join: point DESTINATION__POSTGRES__CREDENTIALS "
        "at a database of its own for the demo.\n")
