"""Small helpers the sources use to shape API records into the raw-table rows of
docs/raw-tables.md."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from dlt.common.schema.typing import TTableSchemaColumns


# dlt's DuckDB default, insert_values, loads a page as SQL INSERT text that DuckDB parses whole:
# ~6x slower and ~60 KiB of peak memory per row (735 MiB for 10,000 PRs). JSONL files are read
# by DuckDB's own reader at a flat ~200 MiB (docs/benchmarks.md).
LOAD_FILE_FORMAT = "jsonl"


def table_columns(**data_types: str) -> TTableSchemaColumns:
    """Column hints with explicit dlt data types, so a column that is null in every row of a
    load still gets its contracted type (and json lists never become child tables)."""
    return {name: {"data_type": data_type, "nullable": name != "id"} for name, data_type in data_types.items()}


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An API timestamp (ISO 8601, usually ending in Z) as an aware UTC datetime, so incremental
    cursors compare datetimes with datetimes."""
    return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None


def format_time(value: datetime) -> str:
    """A datetime in the `YYYY-MM-DDTHH:MM:SSZ` form both APIs accept in filters."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


DELETED_USER = "ghost"  # GitHub REST shows a deleted account as this user; GraphQL as null


def login(actor: Optional[dict[str, Any]]) -> Optional[str]:
    """The login of a GitHub user object; None for a deleted user, in REST and GraphQL alike."""
    name = actor.get("login") if actor else None
    return None if name == DELETED_USER else name
