"""The `custom` dlt source: landed records reach raw_custom with the documented columns, incrementally."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
from dbt_fixtures import contracted_columns, loaded_columns

from dlt_sources.custom import custom
from dlt_sources.pipelines import make_pipeline
from dora.core import landing


def land(home, kind: landing.RecordKind, **payload) -> None:
    landing.LandingArea(home.landing).append(kind, landing.validate(kind, payload))


def load(home) -> dict[str, int]:
    """Run the pipeline; returns the rows it loaded per table (dlt's own count)."""
    pipeline = make_pipeline("custom", home)
    pipeline.run(custom(str(home.landing)))
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: count for table, count in counts.items() if not table.startswith("_dlt")}


def rows(home, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        connection.execute("set TimeZone = 'UTC'")
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_landed_records_reach_raw_custom_with_the_documented_columns(home):
    land(home, landing.DEPLOYMENTS, id="D-1", service="checkout", environment="production", commit_sha="ABCDEF1",
         deployed_at="2026-11-20T11:00:00+01:00", repository="acme/checkout")
    land(home, landing.INCIDENTS, id="I-1", service="checkout", title="x'); drop table raw_custom.deployments; --",
         created_at="2026-11-20T12:00:00Z", commit_sha="abcdef1", urgency="high")
    assert load(home) == {"deployments": 1, "incidents": 1}

    columns = rows(home, "select table_name, list(column_name order by ordinal_position) from "
                         "information_schema.columns where table_schema = 'raw_custom' and table_name in "
                         "('deployments', 'incidents') group by 1 order by 1")
    assert columns == [
        ("deployments", ["id", "service", "environment", "commit_sha", "repository", "deployed_at", "url",
                         "received_at", "_dlt_load_id", "_dlt_id"]),
        ("incidents", ["id", "service", "title", "urgency", "priority", "created_at", "resolved_at",
                       "deployment_id", "commit_sha", "url", "received_at", "_dlt_load_id", "_dlt_id"]),
    ]
    # 11:00 at +01:00 is 10:00 UTC; the sha is lower-cased; absent url stays null
    assert rows(home, "select id, service, environment, commit_sha, repository, deployed_at, url "
                      "from raw_custom.deployments") == [
        ("D-1", "checkout", "production", "abcdef1", "acme/checkout", utc(2026, 11, 20, 10), None)]
    assert rows(home, "select id, title, urgency, created_at, resolved_at, commit_sha from raw_custom.incidents") == [
        ("I-1", "x'); drop table raw_custom.deployments; --", "high", utc(2026, 11, 20, 12), None, "abcdef1")]
    assert rows(home, "select data_type from information_schema.columns where table_schema = 'raw_custom' "
                      "and column_name = 'received_at'") == [("TIMESTAMP WITH TIME ZONE",)] * 2


def test_each_run_reads_only_new_lines_and_the_latest_version_wins(home):
    incident = dict(id="I-1", service="checkout", title="Checkout down", created_at="2026-11-20T12:00:00Z")
    land(home, landing.INCIDENTS, **incident)
    assert load(home) == {"incidents": 1}
    assert load(home) == {}  # nothing new: the offset in resource state skips what was read

    land(home, landing.INCIDENTS, **incident, resolved_at="2026-11-20T13:00:00Z")
    assert load(home) == {"incidents": 1}
    assert rows(home, "select id, resolved_at from raw_custom.incidents") == [("I-1", utc(2026, 11, 20, 13))]

    # two versions in one load: the later received_at wins (dedup_sort), one row remains
    land(home, landing.INCIDENTS, **incident, resolved_at="2026-11-20T14:00:00Z", priority="P2")
    land(home, landing.INCIDENTS, **incident, resolved_at="2026-11-20T15:00:00Z", priority="P1")
    load(home)
    assert rows(home, "select id, priority, resolved_at from raw_custom.incidents") == [
        ("I-1", "P1", utc(2026, 11, 20, 15))]


def test_a_torn_last_line_does_not_break_ingestion(home):
    land(home, landing.DEPLOYMENTS, id="D-1", service="s", environment="e", commit_sha="abcdef1",
         deployed_at="2026-11-20T10:00:00Z")
    with (home.landing / "deployments.jsonl").open("ab") as handle:
        handle.write(b'{"id": "D-torn", "serv')  # a writer killed mid-append, never acknowledged
    assert load(home) == {"deployments": 1}

    land(home, landing.DEPLOYMENTS, id="D-2", service="s", environment="e", commit_sha="abcdef2",
         deployed_at="2026-11-20T11:00:00Z")
    assert load(home) == {"deployments": 1}
    assert rows(home, "select id from raw_custom.deployments order by id") == [("D-1",), ("D-2",)]


def test_dlt_writes_the_raw_custom_tables_the_contract_describes(home):
    land(home, landing.DEPLOYMENTS, service="checkout", environment="production", commit_sha="abcdef1",
         deployed_at="2026-11-20T11:00:00Z")
    land(home, landing.INCIDENTS, service="checkout", title="Down", created_at="2026-11-20T12:00:00Z")
    load(home)
    loaded = loaded_columns(home.warehouse, ["raw_custom"])
    assert sorted(loaded) == ["raw_custom.deployments", "raw_custom.incidents"]
    assert loaded == contracted_columns(loaded)
