"""The DuckDB settings of every connection that writes the warehouse.

DuckDB may use 80% of the machine's RAM by default. Loading a 3-year backfill (dlt's merge of
1 M pull requests) or publishing the history would take gigabytes on a large organisation, so
each writer is capped at DORA_DUCKDB_MEMORY_LIMIT and spills to disk beyond it. The default is
the one dbt_project/profiles.yml gives dbt's connection.
"""

from __future__ import annotations

import os

DEFAULT_MEMORY_LIMIT = "400MB"


def warehouse_config() -> dict[str, str]:
    """DuckDB configuration for `duckdb.connect(..., config=...)` and dlt's `global_config`."""
    return {"memory_limit": os.environ.get("DORA_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)}
