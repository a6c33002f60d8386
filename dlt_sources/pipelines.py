"""The dlt pipelines of one install: each source loads into its own raw dataset of the
warehouse, with dlt's working state below DORA_HOME (see docs/raw-tables.md)."""

from __future__ import annotations

import dlt

from dora.home import Home


def make_pipeline(source: str, home: Home) -> dlt.Pipeline:
    """`source` is "github", "pagerduty" or "custom"; it names the pipeline and the dataset."""
    return dlt.pipeline(
        pipeline_name=source,
        destination=dlt.destinations.duckdb(str(home.warehouse)),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(home.dlt_dir),
    )
