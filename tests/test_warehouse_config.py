"""Every process that writes the warehouse caps DuckDB's memory at DORA_DUCKDB_MEMORY_LIMIT
(dora.core.warehouse_config): dlt's load, publishing, and dbt through profiles.yml."""

from __future__ import annotations

import duckdb

from dlt_sources.pipelines import make_pipeline
from dora.core.publish import publish
from dora.core.home import DBT_PROJECT_DIR, Home
from dora.core.warehouse_config import DEFAULT_MEMORY_LIMIT

# 123MB = 123,000,000 bytes = 117.30 MiB, as DuckDB shows the setting.
LIMIT, SHOWN = "123MB", "117.3 MiB"


def test_dlt_loads_with_duckdb_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_DUCKDB_MEMORY_LIMIT", LIMIT)
    pipeline = make_pipeline("github", Home(tmp_path).ensure())
    with pipeline.sql_client() as client:
        assert client.execute_sql("select current_setting('memory_limit')") == [(SHOWN,)]


def test_publishing_opens_the_warehouse_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_DUCKDB_MEMORY_LIMIT", LIMIT)
    seen, real_connect = [], duckdb.connect

    def connect(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        seen.append(connection.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return connection

    monkeypatch.setattr(duckdb, "connect", connect)
    publish(Home(tmp_path).ensure())
    assert seen == [SHOWN]


def test_dbt_defaults_to_the_same_limit():
    # profiles.yml cannot import Python: its default is written out and must stay the same.
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text()
    assert f"memory_limit: \"{{{{ env_var('DORA_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}') }}}}\"" in profile
