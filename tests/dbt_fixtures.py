"""Helpers for the dbt tests: raw tables written straight into a warehouse (a DuckDB file or a
database of the test PostgreSQL cluster), and dbt run in-process against it.

The raw tables are created from the raw-table contract (dora.core.raw_tables, what dlt writes, with
the types dlt's destination for that warehouse gives them), so the dbt project is tested against its
contract without running any extraction.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from dora.core.home import DBT_PROJECT_DIR
from dora.core.raw_tables import contract
from bench.postgres_cluster import PostgresCluster
from bench.postgres_server import postgres_columns


@dataclass(frozen=True)
class DuckDBWarehouse:
    """A DuckDB warehouse file (dbt's default target)."""

    path: Path
    placeholder = "?"

    def rows(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path)) as con:
            return con.execute(sql, parameters or []).fetchall()

    def create_table(self, table: str, columns: dict[str, str]) -> None:
        self.rows(f"create table if not exists {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")

    def dbt_settings(self) -> tuple[list[str], dict[str, str]]:
        return [], {"DORA_WAREHOUSE": str(self.path)}

    def clone(self, directory: Path) -> DuckDBWarehouse:
        copy = directory / "warehouse.duckdb"
        self.rows("checkpoint")  # dbt-duckdb may still hold the file open in this process
        shutil.copyfile(self.path, copy)
        return DuckDBWarehouse(copy)


@dataclass(frozen=True)
class PostgresWarehouse:
    """A database of the test PostgreSQL cluster (dbt's `postgres` target)."""

    cluster: PostgresCluster
    name: str
    placeholder = "%s"

    @classmethod
    def create(cls, cluster: PostgresCluster, template: str | None = None) -> PostgresWarehouse:
        if template is None:
            return cls(cluster, cluster.create_database())
        warehouse = cls(cluster, f"dora_{uuid.uuid4().hex[:12]}")
        with closing(cluster.connect()) as con:
            con.cursor().execute(f"create database {warehouse.name} template {template}")
        return warehouse

    def rows(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with closing(self.cluster.connect(self.name)) as con, con.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []

    def create_table(self, table: str, columns: dict[str, str]) -> None:
        self.rows(f"create table if not exists {table} ({postgres_columns(columns)})")

    def dbt_settings(self) -> tuple[list[str], dict[str, str]]:
        return ["--target", "postgres"], self.cluster.connection_env(self.name)

    def clone(self, directory: Path) -> PostgresWarehouse:
        return PostgresWarehouse.create(self.cluster, template=self.name)


Warehouse = DuckDBWarehouse | PostgresWarehouse


def warehouse_of(warehouse: Warehouse | Path) -> Warehouse:
    """A DuckDB file may be given by its path."""
    return DuckDBWarehouse(warehouse) if isinstance(warehouse, Path) else warehouse


def load_rows(warehouse: Warehouse | Path, table: str, rows: list[dict], load_id: str) -> None:
    """Write rows the way dlt's merge does: create the table if needed, replace rows by `id`.

    Columns a row leaves out are null; lists are stored as JSON; timestamps are UTC strings.
    """
    warehouse = warehouse_of(warehouse)
    warehouse.rows(f"create schema if not exists {table.split('.')[0]}")
    warehouse.create_table(table, {column.name: column.data_type for column in contract()[table].columns})
    for row in rows:
        values = {c: json.dumps(v) if isinstance(v, list) else v for c, v in row.items()}
        values |= {"_dlt_load_id": load_id, "_dlt_id": f"{table}:{row['id']}"}
        warehouse.rows(f"delete from {table} where id = {warehouse.placeholder}", [row["id"]])
        names = list(values)
        warehouse.rows(f"insert into {table} ({', '.join(names)}) values "
                       f"({', '.join([warehouse.placeholder] * len(names))})", [values[name] for name in names])


def execute(warehouse: Warehouse | Path, sql: str, parameters: list | None = None) -> list[tuple]:
    return warehouse_of(warehouse).rows(sql, parameters)


def loaded_columns(warehouse: Path, datasets: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(name, type) of every column of every table dlt loaded into `datasets` of a DuckDB warehouse,
    in order, by qualified table name: equal to contracted_columns() of the same tables when dlt
    wrote what the contract says."""
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


def query(project: DbtProjectCopy, sql: str) -> list[tuple]:
    """The rows of a query, floats rounded to 6 decimals (the warehouses' last bits may differ)."""
    return [tuple(round(value, 6) if isinstance(value, float) else value for value in row)
            for row in execute(project.warehouse, sql)]


def table_rows(warehouse: Warehouse | Path, table: str) -> list[tuple]:
    """All rows of a table in a stable order, for before/after comparisons."""
    return sorted(execute(warehouse, f"select * from {table}"), key=repr)


@dataclass
class DbtRun:
    success: bool
    messages: list[str] = field(default_factory=list)
    result: Any = None  # dbt's own result (e.g. the compiled nodes)

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


@dataclass
class DbtProjectCopy:
    """A private copy of dbt_project/ (its seeds can be edited) bound to one warehouse."""

    directory: Path
    warehouse: Warehouse

    @classmethod
    def create(cls, directory: Path, warehouse: Warehouse | Path, source: Path = DBT_PROJECT_DIR) -> DbtProjectCopy:
        """Copy `source` (the real project, or another copy with its seeds and parsed target)."""
        shutil.copytree(source, directory, ignore=shutil.ignore_patterns("logs", "dbt_packages"))
        return cls(directory, warehouse_of(warehouse))

    def clone(self, directory: Path) -> DbtProjectCopy:
        """An independent copy of this project and of its warehouse, to change without touching this one."""
        directory.mkdir(parents=True)
        return DbtProjectCopy.create(directory / "dbt_project", self.warehouse.clone(directory), source=self.directory)

    def write_seed(self, name: str, text: str) -> None:
        (self.directory / "seeds" / f"{name}.csv").write_text(text)

    def dbt(self, *args: str) -> DbtRun:
        """Run dbt in-process against this copy and its warehouse (target and logs stay in the copy)."""
        messages: list[str] = []
        target, environment = self.warehouse.dbt_settings()
        previous = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            result = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)]).invoke([
                *args, *target, "--project-dir", str(self.directory), "--profiles-dir", str(self.directory),
                "--target-path", str(self.directory / "target"), "--log-path", str(self.directory / "logs"),
            ])
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name)
                else:
                    os.environ[name] = value
        if result.exception is not None:
            messages.append(str(result.exception))
        return DbtRun(result.success, messages, result.result)

    def compiled(self, sql: str) -> str:
        """`sql` with the project's macros expanded for this warehouse (`dbt compile --inline`)."""
        run = self.dbt("compile", "--inline", sql)
        assert run.success, run.text
        return run.result.results[0].node.compiled_code


def engine_warehouse(request: pytest.FixtureRequest, root: Path) -> Warehouse:
    """A new, empty warehouse of the engine a fixture parametrised with "duckdb" / "postgres" is at."""
    if request.param == "duckdb":
        return DuckDBWarehouse(root / "warehouse.duckdb")
    return PostgresWarehouse.create(request.getfixturevalue("postgres_cluster"))


def engine_project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   name: str) -> DbtProjectCopy:
    """A copy of the project on a new, empty warehouse of the fixture's engine; nothing built."""
    root = tmp_path_factory.mktemp(f"{name}_{request.param}")
    return DbtProjectCopy.create(root / "dbt_project", engine_warehouse(request, root))


def built_scenario(root: Path, warehouse: Warehouse, seeds: dict[str, str], raw: dict[str, list[dict]],
                   load_id: str, build: list[str]) -> DbtProjectCopy:
    """A copy of the project under `root` on `warehouse` with these seed files and raw rows (one dlt
    load), built once."""
    project = DbtProjectCopy.create(root / "dbt_project", warehouse)
    for name, text in seeds.items():
        project.write_seed(name, text)
    for table, rows in raw.items():
        load_rows(project.warehouse, table, rows, load_id)
    result = project.dbt(*build)
    assert result.success, result.text
    return project
