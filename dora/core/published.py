"""Reading what the last publish made visible: schemas `marts`, `history` and `meta`, the same
tables whatever the warehouse (the dashboard, `dora status`, the run's summary and `dora define`'s
preview read them, never the tables a run is building).

A DuckDB install publishes a separate file (dora.core.publish); a PostgreSQL install publishes in
its database (dora.core.postgres_publish). Readers write SQL that both engines understand, with
`?` placeholders, and ask the reader for the one construct that differs, glob matching.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dora.core.glob_regex import glob_regex

PUBLISHED_SCHEMAS = ("marts", "history", "meta")


class PublishedReader(ABC):
    """One open read-only connection to the published schemas."""

    @abstractmethod
    def records(self, sql: str, parameters: tuple | list = ()) -> tuple[list[str], list[tuple]]:
        """Column names and rows of a query whose parameters are `?`."""

    def rows(self, sql: str, parameters: tuple | list = ()) -> list[tuple]:
        return self.records(sql, parameters)[1]

    def tables(self) -> set[str]:
        """`schema.table` of every published table."""
        placeholders = ", ".join("?" * len(PUBLISHED_SCHEMAS))
        return {f"{schema}.{table}" for schema, table in self.rows(
            "select table_schema, table_name from information_schema.tables "
            f"where table_catalog = current_database() and table_schema in ({placeholders})", PUBLISHED_SCHEMAS)}

    @abstractmethod
    def glob_match(self, value: str) -> str:
        """A predicate: the text `value` (SQL) matches the glob given as the next parameter
        (whole value, case-sensitive: DuckDB GLOB's rules)."""

    @abstractmethod
    def any_glob_match(self, values: str) -> str:
        """A predicate: an element of the list `values` (SQL) matches the next parameter's glob."""

    def glob_parameter(self, pattern: str) -> str:
        """The parameter glob_match and any_glob_match expect for `pattern`."""
        return pattern


class PublishedMarts(ABC):
    """Where an install's published marts are, and how to open them read-only."""

    @abstractmethod
    def describe(self) -> str:
        """Where BI tools find them (never a secret)."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether anything has been published yet."""

    @abstractmethod
    def connect(self) -> Iterator[PublishedReader]:
        """A read-only reader for a block (a context manager). Before the first publish it reads
        no table at all."""


@dataclass(frozen=True)
class DuckDBPublished(PublishedMarts):
    """The published DuckDB file (or its link), opened read-only: a reader never blocks a run."""

    path: Path

    def describe(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def connect(self) -> Iterator[PublishedReader]:
        con = duckdb.connect()
        try:
            # Attached under its own name: a file called marts.duckdb would otherwise be a catalog
            # "marts" that makes every "marts.<table>" ambiguous. Before the first publish there is no
            # file, and the empty in-memory catalog has no table.
            if self.exists():
                con.execute(f"attach '{str(self.path).replace(chr(39), chr(39) * 2)}' as published (read_only)")
                con.execute("use published")
            con.execute("set TimeZone = 'UTC'")
            yield DuckDBReader(con)
        finally:
            con.close()


class DuckDBReader(PublishedReader):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def records(self, sql: str, parameters: tuple | list = ()) -> tuple[list[str], list[tuple]]:
        cursor = self.con.execute(sql, list(parameters))
        return [column[0] for column in cursor.description], cursor.fetchall()

    def glob_match(self, value: str) -> str:
        return f"{value} glob ?"

    def any_glob_match(self, values: str) -> str:
        return f"coalesce(len(list_filter({values}, lambda value: value glob ?)), 0) > 0"


class PostgresReader(PublishedReader):
    """A psycopg2 connection reading a PostgreSQL warehouse's published schemas."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def records(self, sql: str, parameters: tuple | list = ()) -> tuple[list[str], list[tuple]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("%", "%%").replace("?", "%s"), list(parameters))
            return [column.name for column in cursor.description], cursor.fetchall()

    def glob_match(self, value: str) -> str:
        return f"{value} ~ ?"

    def any_glob_match(self, values: str) -> str:
        return f"exists (select 1 from unnest({values}) as element(value) where element.value ~ ?)"

    def glob_parameter(self, pattern: str) -> str:
        return glob_regex(pattern)


def published_marts(source: PublishedMarts | Path) -> PublishedMarts:
    """A DuckDB file may be given by its path."""
    return DuckDBPublished(Path(source)) if isinstance(source, (str, Path)) else source
