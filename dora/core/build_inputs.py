"""What a build of the marts is made from, so a run that finds nothing new skips dbt, the publish
and the dashboard (orchestration/transformation.py).

The marts are a function of the raw tables' contents and of the project: the dbt manifest
(models, macros, vars, definition files as seeds), the definition files themselves, the end of
the reported windows (DORA_WINDOW_END, else the start of the current UTC day) and this package's
version. A raw table is first compared by its row count and newest `_dlt_load_id` (dlt stamps
every row it inserts or merges with its load's id, which grows with every load; a deletion
lowers the count), which costs next to nothing. Sources re-read some rows every run (the
PagerDuty services, open incidents) and dlt rewrites them unchanged under a new load id, so a
table whose count is the same and whose newest load is not is compared by a hash of its rows'
contents (dlt's own columns left out).

The warehouse keeps two records in `pipeline.build_inputs`: `built`, written after a whole dbt
build succeeded, and `published`, copied from it once those marts are published. A run skips
only when nothing differs from `published`: a build whose publish failed is built again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from dora.core.raw_tables import contract
from dora.core.warehouse import Warehouse

TABLE = "pipeline.build_inputs"
PROJECT = "project"  # the item standing for everything but the raw tables


@dataclass(frozen=True)
class Version:
    """One input's version: a raw table's row count, newest load and content hash (None until
    computed: `current` leaves it out); the project's hash in `content`."""

    count: int | None
    last_load: str | None
    content: str | None


Inputs = dict[str, Version]  # by item: PROJECT, or a raw table's qualified name


def current(warehouse: Warehouse, manifest: Path, definitions: Path, now: datetime | None = None) -> Inputs:
    """The inputs of a build now, without content hashes (`unchanged_since_published` computes
    those it needs)."""
    window_end = os.environ.get("DORA_WINDOW_END") or (now or datetime.now(timezone.utc)).date().isoformat()
    project = hashlib.sha256(f"dora-pipeline {version('dora-pipeline')}\0window end {window_end}\0".encode())
    for path in [manifest, *sorted(definitions.glob("*.csv"))]:
        project.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
    inputs = {PROJECT: Version(None, None, project.hexdigest())}
    tables = _raw_tables(warehouse)
    if tables:
        for name, count, last_load in warehouse.query(" union all ".join(
                f"select '{name}', count(*), max(_dlt_load_id) from {name}" for name in tables)):
            inputs[name] = Version(count, last_load, None)
    return inputs


def unchanged_since_published(warehouse: Warehouse, inputs: Inputs) -> bool:
    """Whether `inputs` are what the published marts were built from (and those are still there:
    a published file deleted by hand is published again)."""
    published = recorded(warehouse, "published")
    if published.keys() != inputs.keys() or published[PROJECT] != inputs[PROJECT]:
        return False
    if not warehouse.published().exists():
        return False
    for name, now in inputs.items():
        then = published[name]
        if (now.count, now.last_load) == (then.count, then.last_load):
            continue
        if now.count != then.count or content_hash(warehouse, name) != then.content:
            return False
    return True


def record_built(warehouse: Warehouse, inputs: Inputs) -> None:
    """After a whole dbt build from `inputs` succeeded (with every raw table's content hash, so the
    next run can tell a rewritten table from a changed one). A table whose count and newest load
    are those of the last record keeps its hash: nothing wrote it since (a new day's rebuild, a
    definition edit), and hashing 1 M PRs costs ~3 s on Postgres."""
    before = recorded(warehouse, "built")
    rows = []
    for item, version in inputs.items():
        then = before.get(item)
        if item == PROJECT:
            content = version.content
        elif then and (then.count, then.last_load) == (version.count, version.last_load):
            content = then.content
        else:
            content = content_hash(warehouse, item)
        rows.append((item, version.count, version.last_load, content))
    values = ", ".join(f"('built', {_literal(item)}, {_literal(count)}, {_literal(load)}, {_literal(content)})"
                       for item, count, load, content in rows)
    warehouse.query(
        "create schema if not exists pipeline; "
        f"create table if not exists {TABLE} (stage varchar, item varchar, row_count bigint, "
        "last_load varchar, content varchar); "
        f"delete from {TABLE} where stage = 'built'; "
        f"insert into {TABLE} values {values}")


def record_published(warehouse: Warehouse) -> None:
    """After a publish: readers see the marts last built (the caller holds the write lock)."""
    if _has_table(warehouse):
        warehouse.query(f"delete from {TABLE} where stage = 'published'; "
                        f"insert into {TABLE} select 'published', item, row_count, last_load, content "
                        f"from {TABLE} where stage = 'built'")


def forget(warehouse: Warehouse) -> None:
    """Before a partial build (a rebuild after a definition edit): the marts will no longer be
    those of one recorded whole build, so the next run builds."""
    if _has_table(warehouse):
        warehouse.query(f"delete from {TABLE}")


def recorded(warehouse: Warehouse, stage: str) -> Inputs:
    """The inputs recorded at `stage` ('built' or 'published'); empty if none are."""
    if not _has_table(warehouse):
        return {}
    return {item: Version(count, last_load, content) for item, count, last_load, content in warehouse.query(
        f"select item, row_count, last_load, content from {TABLE} where stage = '{stage}'")}


def content_hash(warehouse: Warehouse, table: str) -> str:
    """A hash of the table's rows, in any order, dlt's own columns left out."""
    schema, name = table.split(".")
    columns = [column for (column,) in warehouse.query(
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{name}' and column_name not like '\\_dlt\\_%' "
        "escape '\\' order by ordinal_position")]
    quoted = ", ".join(f'"{column}"' for column in columns)
    if warehouse.kind == "postgres":
        aggregate = f"sum(hashtextextended(row({quoted})::text, 0))"
    else:
        aggregate = f"bit_xor(hash({quoted}))"
    [(value,)] = warehouse.query(f"select count(*) || ':' || coalesce(cast({aggregate} as varchar), '') from {table}")
    return value


def _raw_tables(warehouse: Warehouse) -> list[str]:
    """The raw tables dbt reads that exist (a source never configured has none)."""
    present = {f"{schema}.{name}" for schema, name in warehouse.query(
        "select table_schema, table_name from information_schema.tables where table_schema like 'raw%'")}
    return sorted(name for name in contract() if name in present)


def _has_table(warehouse: Warehouse) -> bool:
    return bool(warehouse.query("select 1 from information_schema.tables "
                                "where table_schema = 'pipeline' and table_name = 'build_inputs'"))


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
