"""Helpers for the dbt tests: raw tables written straight into a DuckDB file, and dbt run in-process.

The raw tables are created from the raw-table contract (dora.core.raw_tables, what dlt writes),
so the dbt project is tested against its contract without running any extraction.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

from dora.core.home import DBT_PROJECT_DIR
from dora.core.raw_tables import contract


def load_rows(warehouse: Path, table: str, rows: list[dict], load_id: str) -> None:
    """Write rows the way dlt's merge does: create the table if needed, replace rows by `id`.

    Columns a row leaves out are null; lists are stored as JSON; timestamps are UTC strings.
    """
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        con.execute(contract()[table].create_sql())
        for row in rows:
            values = {c: json.dumps(v) if isinstance(v, list) else v for c, v in row.items()}
            values |= {"_dlt_load_id": load_id, "_dlt_id": f"{table}:{row['id']}"}
            con.execute(f"delete from {table} where id = ?", [row["id"]])
            names = list(values)
            con.execute(f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                        [values[name] for name in names])


def loaded_columns(warehouse: Path, datasets: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(name, type) of every column of every table dlt loaded into `datasets`, in order, by qualified
    table name: equal to contracted_columns() of the same tables when dlt wrote what the contract says."""
    rows = execute(warehouse, """
        select table_schema || '.' || table_name, column_name, lower(data_type) from information_schema.columns
        where table_schema in ? and table_name not like '\\_dlt\\_%' escape '\\'
        order by table_schema, table_name, ordinal_position""", [datasets])
    loaded: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        loaded.setdefault(table, []).append((column, data_type))
    return loaded


def contracted_columns(tables) -> dict[str, list[tuple[str, str]]]:
    return {table: [(column.name, column.data_type) for column in contract()[table].columns] for table in tables}


def execute(warehouse: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql, parameters or []).fetchall()


def table_rows(warehouse: Path, table: str) -> list[tuple]:
    """All rows of a table in a stable order, for before/after comparisons."""
    return sorted(execute(warehouse, f"select * from {table}"), key=repr)


@dataclass
class DbtRun:
    success: bool
    messages: list[str] = field(default_factory=list)
    result: object = None  # dbt's own result (e.g. the rows of `dbt show`)

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


@dataclass
class DbtProjectCopy:
    """A private copy of dbt_project/ (its seeds can be edited) bound to one warehouse file."""

    directory: Path
    warehouse: Path

    @classmethod
    def create(cls, directory: Path, warehouse: Path, source: Path = DBT_PROJECT_DIR) -> "DbtProjectCopy":
        """Copy `source` (the real project, or another copy with its seeds and parsed target)."""
        shutil.copytree(source, directory, ignore=shutil.ignore_patterns("logs", "dbt_packages"))
        return cls(directory, warehouse)

    def clone(self, directory: Path) -> "DbtProjectCopy":
        """An independent copy of this project and of its warehouse file, to change without touching this one."""
        directory.mkdir(parents=True)
        warehouse = directory / "warehouse.duckdb"
        execute(self.warehouse, "checkpoint")  # dbt-duckdb may still hold the file open in this process
        shutil.copyfile(self.warehouse, warehouse)
        return DbtProjectCopy.create(directory / "dbt_project", warehouse, source=self.directory)

    def write_seed(self, name: str, text: str) -> None:
        (self.directory / "seeds" / f"{name}.csv").write_text(text)

    def dbt(self, *args: str) -> DbtRun:
        """Run dbt in-process against this copy and its warehouse (target and logs stay in the copy)."""
        messages: list[str] = []
        previous = os.environ.get("DORA_WAREHOUSE")
        os.environ["DORA_WAREHOUSE"] = str(self.warehouse)
        try:
            result = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)]).invoke([
                *args, "--project-dir", str(self.directory), "--profiles-dir", str(self.directory),
                "--target-path", str(self.directory / "target"), "--log-path", str(self.directory / "logs"),
            ])
        finally:
            if previous is None:
                os.environ.pop("DORA_WAREHOUSE")
            else:
                os.environ["DORA_WAREHOUSE"] = previous
        if result.exception is not None:
            messages.append(str(result.exception))
        return DbtRun(result.success, messages, result.result)
