"""Dagster's SQLite run history written without a flush per event during a run
(orchestration/run_history.py): no checkpoint per event, nothing lost, SQLite's default after."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetSpec, DagsterInstance, MaterializeResult, materialize, multi_asset
from sqlalchemy import create_engine, text

from orchestration.run_history import run_history_without_flush_per_event

SPECS = [AssetSpec("first"), AssetSpec("second")]


@multi_asset(specs=SPECS)
def two_assets():
    for spec in SPECS:
        yield MaterializeResult(asset_key=spec.key)


def synchronous_of(path: Path) -> int:
    with create_engine(f"sqlite:///{path}").connect() as connection:
        return connection.execute(text("PRAGMA synchronous")).scalar()


def test_a_run_inside_keeps_its_history_without_a_checkpoint_per_event(tmp_path):
    index = tmp_path / "history" / "runs" / "index.db"
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        with run_history_without_flush_per_event():
            result = materialize([two_assets], instance=instance)
            # the event log's closes did not checkpoint: its WAL is still there
            assert Path(f"{index}-wal").exists()
            assert synchronous_of(index) == 1  # NORMAL
        assert synchronous_of(index) == 2  # FULL, SQLite's default, outside a run
    with DagsterInstance.from_config(str(tmp_path)) as reopened:
        [record] = reopened.get_run_records()
        assert record.dagster_run.run_id == result.run_id and record.dagster_run.is_success
        for spec in SPECS:
            assert reopened.get_latest_materialization_event(spec.key).run_id == result.run_id
