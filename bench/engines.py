"""The warehouses the transformation benchmark runs on, behind one interface: a warehouse is a DuckDB
file or a Postgres database, made from raw tables bench.raw_tables writes into DuckDB, copied, added
to (a later load), built by dbt and queried. A warehouse is named after its role ("raw", "built"),
the same name each time: dbt parses everything again when its connection settings change.
"""

from __future__ import annotations

import shutil
import uuid
from contextlib import closing
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bench import raw_tables
from bench.postgres_server import PostgresServer, copy_raw_tables


def normalized(value: Any) -> Any:
    """A mart value comparable across engines: numbers as floats to 6 decimals, times as naive UTC."""
    if isinstance(value, (float, Decimal)):
        return round(float(value), 6)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class DuckDB:
    name = "duckdb"

    def __init__(self, work: Path) -> None:
        self.work = work

    def from_raw(self, raw: Path, name: str) -> Path:
        """A new warehouse holding the raw tables of the DuckDB file `raw`."""
        warehouse = self.work / f"{name}.duckdb"
        shutil.copyfile(raw, warehouse)
        return warehouse

    def copy(self, warehouse: Path, name: str) -> Path:
        return self.from_raw(warehouse, name)

    def add_load(self, warehouse: Path, load: raw_tables.Load) -> None:
        with duckdb.connect(str(warehouse)) as con:
            raw_tables.write(con, load)

    def dbt_settings(self, warehouse: Path) -> tuple[list[str], dict[str, str]]:
        return [], {"DORA_WAREHOUSE": str(warehouse)}

    def execute(self, warehouse: Path, statements: list[str]) -> None:
        with duckdb.connect(str(warehouse)) as con:
            for statement in statements:
                con.execute(statement)

    def rows(self, warehouse: Path, sql: str) -> list[tuple]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def drop(self, warehouse: Path) -> None:
        warehouse.unlink(missing_ok=True)


class Postgres:
    """Databases of one server; raw tables arrive by COPY from DuckDB and are analyzed, as they would
    be after dlt's load and autovacuum."""

    name = "postgres"

    def __init__(self, work: Path, server: PostgresServer) -> None:
        self.work, self.server = work, server
        self.prefix = f"dora_bench_{uuid.uuid4().hex[:8]}"
        self.databases: set[str] = set()

    def from_raw(self, raw: Path, name: str) -> str:
        database = self._create(name)
        copy_raw_tables(raw, self.server.warehouse(database))
        return database

    def copy(self, warehouse: str, name: str) -> str:
        return self._create(name, template=warehouse)

    def _create(self, name: str, template: str | None = None) -> str:
        database = f"{self.prefix}_{name}"
        self.drop(database)
        self.server.create_database(database, template)
        self.databases.add(database)
        return database

    def add_load(self, warehouse: str, load: raw_tables.Load) -> None:
        staged = self.work / "load.duckdb"
        staged.unlink(missing_ok=True)
        with duckdb.connect(str(staged)) as con:
            raw_tables.write(con, load)
        copy_raw_tables(staged, self.server.warehouse(warehouse))
        staged.unlink()

    def dbt_settings(self, warehouse: str) -> tuple[list[str], dict[str, str]]:
        return ["--target", "postgres"], self.server.warehouse(warehouse).dbt_environment()

    def execute(self, warehouse: str, statements: list[str]) -> None:
        with closing(self.server.warehouse(warehouse).connect(autocommit=True)) as con, con.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def rows(self, warehouse: str, sql: str) -> list[tuple]:
        with closing(self.server.warehouse(warehouse).connect()) as con, con.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def drop(self, warehouse: str) -> None:
        self.server.drop_database(warehouse)
        self.databases.discard(warehouse)

    def drop_all(self) -> None:
        for database in list(self.databases):
            self.drop(database)


Engine = DuckDB | Postgres
