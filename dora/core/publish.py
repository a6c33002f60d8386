"""Publish the marts for BI tools: a separate DuckDB file, swapped in atomically.

Readers open `published/dora.duckdb` read-only and never touch the warehouse, so they neither
block the pipeline nor see a half-built table. Each publish writes a new file under a new name,
`published/v<UTC time>/dora.duckdb`, then points the link `published/dora.duckdb` at it with one
atomic rename; a reader that still has the old file open keeps reading it.

Why a new name each time: DuckDB keeps one database instance per file inside a process and hands
it to every new connection while any connection to it is open. Had the new file replaced the old
one under the same name, a pooled BI server (one process, always some connection open) would be
served the old file forever. DuckDB resolves the link when a connection opens it, so a new
connection to `published/dora.duckdb` gets the newest publish whatever is still open. The
previous version is kept (for a reader that resolved the link just before the swap); older
ones are deleted.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from dora.core.files import fsync
from dora.core.home import Home
from dora.core.warehouse_config import warehouse_config

PUBLISHED_SCHEMAS = ("marts", "history")
# Every table dlt loaded (its datasets are the schemas with a _dlt_loads table), but dlt's own.
RAW_TABLES_SQL = (
    "select table_schema, table_name from information_schema.tables "
    "where table_catalog = current_database() and table_name not like '\\_dlt\\_%' escape '\\' "
    "and table_schema in (select table_schema from information_schema.tables "
    "where table_catalog = current_database() and table_name = '_dlt_loads') order by 1, 2")
# A version's directory: v<UTC time to the microsecond>, e.g. v20261120T100000123456Z.
VERSION_FORMAT, VERSION_GLOB = "v%Y%m%dT%H%M%S%fZ", "v" + "[0-9]" * 8 + "T" + "[0-9]" * 12 + "Z"


def publish(home: Home) -> dict[str, int]:
    """Copy the published schemas out of the warehouse; returns row counts by `schema.table`.

    The caller holds the warehouse lock (the warehouse is opened for writing to read it).
    """
    target = home.published
    target.parent.mkdir(parents=True, exist_ok=True)
    # A publish killed before its swap leaves its link (or, before versions, its staging file);
    # the lock makes any found now stale.
    for stale in target.parent.glob(f".{target.name}.*"):
        stale.unlink()
    version = target.parent / datetime.now(timezone.utc).strftime(VERSION_FORMAT)
    version.mkdir()
    staging = version / target.name
    counts: dict[str, int] = {}
    con = duckdb.connect(str(home.warehouse), config=warehouse_config())
    try:
        con.execute("attach ? as published", [str(staging)])
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema in ? "
            "order by 1, 2",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        for schema in sorted({s for s, _ in tables}):
            con.execute(f'create schema published."{schema}"')
        for schema, table in tables:
            con.execute(f'create table published."{schema}"."{table}" as select * from "{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(
                f'select count(*) from published."{schema}"."{table}"'
            ).fetchall()[0][0]
        _write_source_freshness(con)
        con.execute("detach published")
    finally:
        con.close()
    fsync(staging)
    fsync(version)
    previous = target.resolve().parent if target.is_symlink() else None
    link = target.with_name(f".{target.name}.{os.getpid()}.link")
    os.symlink(Path(version.name) / target.name, link)
    os.replace(link, target)
    fsync(target.parent)
    for old in target.parent.glob(VERSION_GLOB):
        if old not in (version, previous):
            shutil.rmtree(old)
    return counts


def _write_source_freshness(con: duckdb.DuckDBPyConnection) -> None:
    """meta.source_freshness: when each raw table last received a load, and its row count."""
    con.execute("create schema published.meta")
    con.execute(
        "create table published.meta.source_freshness ("
        "source text, resource text, last_loaded_at timestamptz, row_count bigint)"
    )
    raw_tables = con.execute(RAW_TABLES_SQL).fetchall()
    for schema, table in raw_tables:
        con.execute(
            f"""insert into published.meta.source_freshness
            select ?, ?, (select max(inserted_at) from "{schema}"._dlt_loads where status = 0), count(*)
            from "{schema}"."{table}" """,
            [schema.removeprefix("raw_"), table],
        )
