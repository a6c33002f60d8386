"""The raw tables, the contract between extraction (dlt) and transformation (dbt), read from the
one place that writes it down: the dbt sources YAML, dbt_project/models/staging/_<source>__sources.yml.

dbt reads those files anyway (every staging model selects from a source declared there), and
they hold a type and a description per column. From them (`contract()`) come the tables the dbt
tests and the benchmark write by hand (`create_sql`) and docs/raw-tables.md (`markdown`;
regenerate it with `python -m dora.core.raw_tables > docs/raw-tables.md`). tests/test_raw_tables.py
checks every dlt resource's column hints against them, so a column added to a source and not to
the contract fails there, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from dora.core.home import DBT_PROJECT_DIR

SOURCES_DIR = DBT_PROJECT_DIR / "models" / "staging"
# Added by dlt to every table it loads.
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # as DuckDB names it
    description: str


@dataclass(frozen=True)
class RawTable:
    dataset: str  # the dlt dataset (schema), `raw_<source>`
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.dataset}.{self.name}"

    def create_sql(self) -> str:
        """The table as dlt creates it (its columns and their types, in order)."""
        columns = ", ".join(f"{column.name} {column.data_type}" for column in self.columns)
        return f"create table if not exists {self.qualified_name} ({columns})"


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    tables: tuple[RawTable, ...]


@cache
def datasets() -> tuple[Dataset, ...]:
    """Every raw dataset of the sources YAML, in file order."""
    found = []
    for path in sorted(SOURCES_DIR.glob("_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            dataset = source["schema"]
            tables = tuple(
                RawTable(dataset, table["name"], table.get("description", ""), tuple(
                    Column(column["name"], column["data_type"], column.get("description", ""))
                    for column in table["columns"]
                ))
                for table in source["tables"]
            )
            found.append(Dataset(dataset, source.get("description", ""), tables))
    return tuple(found)


def contract() -> dict[str, RawTable]:
    """Every raw table by its qualified name (`raw_github.pull_requests`)."""
    return {table.qualified_name: table for dataset in datasets() for table in dataset.tables}


INTRODUCTION = """\
# Raw tables: the contract between extraction (dlt) and transformation (dbt)

Generated from the dbt sources YAML (`dbt_project/models/staging/_<source>__sources.yml`), the one
place the contract is written: edit that, then run `python -m dora.core.raw_tables > docs/raw-tables.md`.
tests/test_raw_tables.py fails when a dlt resource's columns differ from it.

All raw tables live in the warehouse DuckDB file (`$DORA_HOME/warehouse.duckdb`), one dataset
(schema) per source. Every table is written by dlt with `write_disposition="merge"` on its `id`,
so a re-run never duplicates a row; dlt adds `_dlt_load_id` (the load that last wrote the row: a
decimal epoch-seconds string that grows with every load) and `_dlt_id`. Timestamps are
`timestamp with time zone` in UTC. `json` columns hold a JSON list of strings (GitHub deployments'
`statuses`: a list of objects). A table may be missing (the source is not configured or has not
loaded yet): dbt treats a missing table as empty.
"""


def markdown() -> str:
    """docs/raw-tables.md."""
    lines = [INTRODUCTION]
    for dataset in datasets():
        lines += [f"## `{dataset.name}`", "", dataset.description, ""]
        for table in dataset.tables:
            lines += [f"### `{table.name}`", "", table.description, "", "| column | type | meaning |", "|---|---|---|"]
            lines += [f"| {column.name} | {column.data_type} | {column.description} |"
                      for column in table.columns if column.name not in DLT_COLUMNS]
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
