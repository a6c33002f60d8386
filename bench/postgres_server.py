"""The PostgreSQL server the benchmark measures on, and raw tables copied into it as dlt writes them.

The server is the one DESTINATION__POSTGRES__CREDENTIALS names (its user must be allowed to create
databases: every warehouse the benchmark builds is a database of its own, dropped at the end), else
a throwaway cluster of this machine's server binaries (bench.postgres_cluster), stopped at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from bench.postgres_cluster import PIPELINE_PASSWORD, PIPELINE_USER, PostgresCluster
from dora.core.postgres import PostgresWarehouse

CREDENTIALS = "DESTINATION__POSTGRES__CREDENTIALS"
# dlt's postgres destination: json -> jsonb, the row id unique (its `unique` hint), ids and load ids not null.
POSTGRES_TYPES = {"json": "jsonb"}
POSTGRES_CONSTRAINTS = {"id": "not null", "_dlt_load_id": "not null", "_dlt_id": "unique not null"}


def postgres_columns(columns: dict[str, str]) -> str:
    """The column list of a raw table as dlt's postgres destination creates it, from DuckDB's types."""
    return ", ".join(f"{name} {POSTGRES_TYPES.get(data_type.lower(), data_type)} "
                     f"{POSTGRES_CONSTRAINTS.get(name, '')}".rstrip() for name, data_type in columns.items())


@dataclass(frozen=True)
class PostgresServer:
    credentials: PostgresCredentials  # of a database on the server, as a user who may create databases

    def warehouse(self, database: str) -> PostgresWarehouse:
        credentials = PostgresCredentials()
        credentials.parse_native_representation(self.credentials.to_native_representation())
        credentials.database = database
        return PostgresWarehouse(credentials)

    def url(self, database: str) -> str:
        """dlt's credentials of `database` (they hold the password: never print them)."""
        return self.warehouse(database).credentials.to_native_representation()

    def create_database(self, name: str, template: str | None = None) -> None:
        self._admin(f"create database {name}" + (f" template {template}" if template else ""))

    def drop_database(self, name: str) -> None:
        self._admin(f"drop database if exists {name}")

    def _admin(self, sql: str) -> None:
        with closing(self.warehouse(self.credentials.database).connect(autocommit=True)) as con, \
                con.cursor() as cursor:
            cursor.execute(sql)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The given server, or a throwaway cluster for as long as the context lasts."""
    given = os.environ.get(CREDENTIALS)
    if given:
        credentials = PostgresCredentials()
        credentials.parse_native_representation(given)
        yield PostgresServer(credentials)
        return
    cluster = PostgresCluster.start()
    try:
        with closing(cluster.connect()) as con, con.cursor() as cursor:
            cursor.execute(f"alter role {PIPELINE_USER} createdb")
        credentials = PostgresCredentials()
        credentials.parse_native_representation(cluster.pipeline_credentials("postgres", PIPELINE_PASSWORD))
        yield PostgresServer(credentials)
    finally:
        cluster.stop()


def copy_raw_tables(source: Path, warehouse: PostgresWarehouse) -> None:
    """Every table of the raw_* schemas of the DuckDB file `source` appended to `warehouse` (created
    as dlt would create it when missing), then analyzed, as after a dlt load and autovacuum."""
    with duckdb.connect(str(source), read_only=True) as con:
        columns: dict[str, dict[str, str]] = {}
        for table, column, data_type in con.execute(
                "select table_schema || '.' || table_name, column_name, data_type from information_schema.columns "
                "where table_schema like 'raw\\_%' escape '\\' order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(table, {})[column] = data_type
        with closing(warehouse.connect(autocommit=True)) as pg, pg.cursor() as cursor, \
                tempfile.TemporaryDirectory(prefix="dora-bench-copy-") as directory:
            for table, table_columns in columns.items():
                csv = Path(directory) / f"{table}.csv"
                names = ", ".join(table_columns)
                con.execute(f"copy (select {names} from {table}) to '{csv}' (header false)")
                cursor.execute(f"create schema if not exists {table.split('.')[0]}")
                cursor.execute(f"create table if not exists {table} ({postgres_columns(table_columns)})")
                with csv.open() as rows:
                    cursor.copy_expert(f"copy {table} ({names}) from stdin with (format csv)", rows)
                cursor.execute(f"analyze {table}")
