"""dora.core.build_inputs: when a run may skip the build, on both warehouses.

The scenario: PagerDuty's two raw tables as dlt leaves them (one load, `100`), a manifest file
and one definition file, built and published on 2026-03-02. Each case then changes one thing and
says whether a build is needed. `orchestration/transformation.py` skips dbt exactly when
`unchanged_since_published` is true; tests/test_orchestration.py runs that end to end.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from dora.core import build_inputs
from dora.core.home import Home
from dora.core.raw_tables import contract
from dora.core.warehouse import DuckDBWarehouse, Warehouse

BUILT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SERVICES = contract()["raw_pagerduty.services"]
INCIDENTS = contract()["raw_pagerduty.incidents"]


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path, monkeypatch) -> Warehouse:
    if request.param == "duckdb":
        return DuckDBWarehouse(Home(tmp_path / "home").ensure())
    from bench.postgres_cluster import PIPELINE_USER
    from dora.core.postgres import PostgresWarehouse

    cluster = request.getfixturevalue("postgres_cluster")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS",
                       cluster.pipeline_credentials(cluster.create_database(owner=PIPELINE_USER)))
    return PostgresWarehouse.from_settings()


@pytest.fixture
def published(warehouse, tmp_path):
    """The scenario built and published; returns (warehouse, manifest, definitions)."""
    warehouse.query(f"create schema raw_pagerduty; {SERVICES.create_sql()}; {INCIDENTS.create_sql()}; "
                    "insert into raw_pagerduty.services (id, name, status, _dlt_load_id, _dlt_id) values "
                    "('PS1', 'checkout', 'active', '100', 'a'), ('PS2', 'search', 'active', '100', 'b'); "
                    "insert into raw_pagerduty.incidents (id, title, status, service_id, _dlt_load_id, _dlt_id) "
                    "values ('PI1', 'Checkout down', 'triggered', 'PS1', '100', 'c')")
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {}}')
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / "services.csv").write_text("service,team,repository\ncheckout,payments,acme/checkout\n")
    build_inputs.record_built(warehouse, build_inputs.current(warehouse, manifest, definitions, BUILT_AT))
    publish(warehouse)
    return warehouse, manifest, definitions


def publish(warehouse: Warehouse) -> None:
    """What a publish leaves: the published marts (an empty table stands for them), and the record."""
    if isinstance(warehouse, DuckDBWarehouse):
        with duckdb.connect(str(warehouse.home.published)) as con:
            con.execute("create schema if not exists marts; create or replace table marts.deployments (id int)")
    else:
        warehouse.query("create schema if not exists marts; create table if not exists marts.deployments (id int)")
    build_inputs.record_published(warehouse)


def unchanged(published, now: datetime = BUILT_AT) -> bool:
    warehouse, manifest, definitions = published
    return build_inputs.unchanged_since_published(
        warehouse, build_inputs.current(warehouse, manifest, definitions, now))


def test_nothing_changed_later_the_same_day(published):
    assert unchanged(published, BUILT_AT.replace(hour=23, minute=59))


def test_rows_rewritten_unchanged_by_a_later_load_change_nothing(published):
    # dlt merges the services it re-read every run: same values, load 101, new _dlt_id
    published[0].query("update raw_pagerduty.services set _dlt_load_id = '101', _dlt_id = 'x' || _dlt_id")
    assert unchanged(published)


def test_a_row_changed_by_a_later_load_is_new(published):
    published[0].query("update raw_pagerduty.incidents set status = 'resolved', _dlt_load_id = '101'")
    assert not unchanged(published)


def test_a_row_added_is_new(published):
    published[0].query("insert into raw_pagerduty.services (id, name, status, _dlt_load_id, _dlt_id) "
                       "values ('PS3', 'billing', 'active', '101', 'd')")
    assert not unchanged(published)


def test_a_row_deleted_is_new(published):
    published[0].query("delete from raw_pagerduty.services where id = 'PS2'")
    assert not unchanged(published)


def test_a_raw_table_appearing_is_new(published):
    published[0].query(f"create schema raw_custom; {contract()['raw_custom.deployments'].create_sql()}")
    assert not unchanged(published)


def test_an_edited_definition_file_is_new(published):
    services = published[2] / "services.csv"
    services.write_text(services.read_text() + "search,discovery,acme/search\n")
    assert not unchanged(published)


def test_a_new_manifest_is_new(published):
    published[1].write_text('{"nodes": {"model.dora.x": {}}}')
    assert not unchanged(published)


def test_a_new_utc_day_moves_the_report_window_unless_it_is_fixed(published, monkeypatch):
    next_day = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)
    assert not unchanged(published, next_day)
    monkeypatch.setenv("DORA_WINDOW_END", "2026-03-01")
    build_inputs.record_built(published[0], build_inputs.current(*published, BUILT_AT))
    publish(published[0])
    assert unchanged(published, next_day)


def test_a_build_that_was_not_published_is_built_again(published):
    warehouse, manifest, definitions = published
    warehouse.query("insert into raw_pagerduty.services (id, name, status, _dlt_load_id, _dlt_id) "
                    "values ('PS3', 'billing', 'active', '101', 'd')")
    build_inputs.record_built(warehouse, build_inputs.current(warehouse, manifest, definitions, BUILT_AT))
    assert not unchanged(published)  # its publish failed
    publish(warehouse)
    assert unchanged(published)


def test_an_install_never_published_builds(warehouse, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    inputs = build_inputs.current(warehouse, tmp_path / "manifest.json", tmp_path, BUILT_AT)
    assert list(inputs) == [build_inputs.PROJECT]
    assert not build_inputs.unchanged_since_published(warehouse, inputs)


def test_after_a_partial_build_the_next_run_builds(published):
    build_inputs.forget(published[0])  # a rebuild after a definition edit started
    build_inputs.record_published(published[0])
    assert not unchanged(published)


def test_published_marts_deleted_by_hand_are_published_again(published):
    warehouse = published[0]
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse.home.published.unlink()
    else:
        warehouse.query("drop schema marts cascade")
    assert not unchanged(published)


def test_a_table_unwritten_since_the_last_build_is_not_hashed_again(published):
    warehouse, manifest, definitions = published
    recorded = build_inputs.recorded(warehouse, "built")["raw_pagerduty.services"].content
    # no dlt load could do this (same rows, same load): it shows whether the table was hashed again
    warehouse.query("update raw_pagerduty.services set name = 'renamed' where id = 'PS1'")
    build_inputs.record_built(warehouse, build_inputs.current(warehouse, manifest, definitions, BUILT_AT))
    assert build_inputs.recorded(warehouse, "built")["raw_pagerduty.services"].content == recorded
    warehouse.query("update raw_pagerduty.services set _dlt_load_id = '101' where id = 'PS1'")
    build_inputs.record_built(warehouse, build_inputs.current(warehouse, manifest, definitions, BUILT_AT))
    assert build_inputs.recorded(warehouse, "built")["raw_pagerduty.services"].content != recorded
