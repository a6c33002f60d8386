"""The dlt pipelines of one install: each source loads into its own raw dataset of the
warehouse, with dlt's working state below DORA_HOME (see docs/raw-tables.md)."""

from __future__ import annotations

import dlt

from dora.core.home import Home
from dora.core.warehouse import DuckDBWarehouse, Warehouse


def make_pipeline(source: str, home: Home, warehouse: Warehouse | None = None) -> dlt.Pipeline:
    """`source` ("github", "pagerduty", "gitlab", "jira", "custom") names the pipeline and the
    dataset; the destination is the install's warehouse (its DuckDB file by default)."""
    # A loaded package's files are the run's rows, already in the warehouse: kept, they would grow
    # dlt's directory by every run's data forever (18 MB for the backfill of 100,000 PRs).
    dlt.config["load.delete_completed_jobs"] = True
    return dlt.pipeline(
        pipeline_name=source,
        destination=(warehouse or DuckDBWarehouse(home)).dlt_destination(),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(home.dlt_dir),
    )
