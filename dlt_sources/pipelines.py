"""The dlt pipelines of one install: each source loads into its own raw dataset of the
warehouse, with dlt's working state below DORA_HOME (see docs/raw-tables.md)."""

from __future__ import annotations

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from dora.core.home import Home
from dora.core.warehouse_config import warehouse_config


def make_pipeline(source: str, home: Home) -> dlt.Pipeline:
    """`source` ("github", "pagerduty", "gitlab", "jira", "custom") names the pipeline and the
    dataset. DuckDB is capped like every writer of the warehouse (dora.core.warehouse_config)."""
    # A loaded package's files are the run's rows, already in the warehouse: kept, they would grow
    # dlt's directory by every run's data forever (18 MB for the backfill of 100,000 PRs).
    dlt.config["load.delete_completed_jobs"] = True
    return dlt.pipeline(
        pipeline_name=source,
        destination=dlt.destinations.duckdb(DuckDbCredentials(str(home.warehouse), global_config=warehouse_config())),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(home.dlt_dir),
    )
