"""A PostgreSQL warehouse: one database that dlt loads, dbt builds in and BI tools read.

The connection is dlt's setting `destination.postgres.credentials` (from the environment, e.g.
DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:port/db, or .dlt/secrets.toml),
resolved by dlt's own configuration code so dlt, dbt and this module always use the same one.
The password stays in memory: dbt reads it from an environment variable of its process (dbt's
DBT_ENV_SECRET_ prefix keeps it out of dbt's logs), never from a file, and `describe` leaves it out.

Writers take turns with a session-level advisory lock of that database: two installs pointing at
one database never write at once, and the server releases the lock of a writer whose process
dies (its connection closes; keepalives notice a host that vanished within about two minutes).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import dlt
import psycopg2
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from dora.core.published import PostgresReader, PublishedMarts, PublishedReader
from dora.core.warehouse import Warehouse, WarehouseSettingError
from dora.core.warehouse_lock import WriteLock

log = logging.getLogger(__name__)

# dbt builds the marts here; publishing copies them to `marts` (dora.core.postgres_publish).
BUILD_SCHEMA = "marts_build"
PASSWORD_VARIABLE = "DBT_ENV_SECRET_DORA_PG_PASSWORD"  # read by dbt_project/profiles.yml
LOADER_FILE_FORMAT = "insert_values"
DEMO_MARKER = "dora_demo"  # the schema marking a database as `dora demo`'s
# Advisory locks belong to one database: two installs share this key only when they share it.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"dora-pipeline warehouse writer").digest()[:8], "big", signed=True)
# The server drops the session (and the lock) of a client silent this long: 60 + 6 x 10 s.
KEEPALIVES = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 6}


def credentials_from_settings() -> PostgresCredentials:
    """dlt's `destination.postgres.credentials`, as dlt itself resolves them; a clear error naming
    the setting when they are missing or incomplete (never their value)."""
    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres", "credentials"))
    except ConfigurationException as error:
        missing = ", ".join(getattr(error, "missing_fields", [])) or "the connection"
        raise WarehouseSettingError(
            f"The warehouse is postgres, but destination.postgres.credentials lacks {missing}: set "
            "DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:port/database (or "
            "[destination.postgres] credentials = \"...\" in .dlt/secrets.toml). dlt requires a password "
            "even for a server that does not ask for one.") from None


@dataclass(frozen=True)
class PostgresWarehouse(Warehouse):
    """The database named by dlt's postgres credentials."""

    credentials: PostgresCredentials = field(repr=False)
    kind: ClassVar[str] = "postgres"
    dbt_target: ClassVar[str] = "postgres"

    @classmethod
    def from_settings(cls) -> PostgresWarehouse:
        return cls(credentials_from_settings())

    def describe(self) -> str:
        return f"postgresql://{self.credentials.username}@{self.credentials.host}:{self.credentials.port}/" \
               f"{self.credentials.database}"

    def connect(self, autocommit: bool = False, **settings: Any):
        """A new psycopg2 connection, its session's settings given by name (e.g. TimeZone="UTC")."""
        query = self.credentials.query or {}
        connection = psycopg2.connect(
            host=self.credentials.host, port=self.credentials.port, user=self.credentials.username,
            password=self.credentials.password, dbname=self.credentials.database, application_name="dora",
            connect_timeout=int(self.credentials.connect_timeout or 15),
            options=" ".join(f"-c {name}={value}" for name, value in settings.items()),
            **{name: value for name, value in query.items() if name.startswith("ssl")})
        connection.autocommit = autocommit
        return connection

    def write_lock(self) -> WriteLock:
        return AdvisoryWriteLock(self)

    def dlt_destination(self) -> Any:
        return dlt.destinations.postgres(credentials=self.credentials)

    def dlt_run_settings(self) -> dict[str, Any]:
        """The sources ask for JSONL files (dlt_sources/rows.py), which dlt's postgres destination
        cannot load; INSERT statements it can, exactly (docs/benchmarks.md compares the formats)."""
        return {"loader_file_format": LOADER_FILE_FORMAT}

    def dbt_output(self) -> dict[str, Any]:
        """The connection as literals but the password, which dbt reads from its environment."""
        return {"host": self.credentials.host, "port": int(self.credentials.port), "user": self.credentials.username,
                "dbname": self.credentials.database, "sslmode": (self.credentials.query or {}).get("sslmode", "prefer"),
                "password": "{{ env_var('" + PASSWORD_VARIABLE + "', '') }}", "schema": BUILD_SCHEMA}

    def dbt_environment(self) -> dict[str, str]:
        return {PASSWORD_VARIABLE: self.credentials.password or ""}

    def after_load(self, dataset: str) -> None:
        """dlt does not analyze the tables it creates or fills: until autovacuum does, the next dbt
        build would plan its reads of them without statistics (dbt_project/README.md)."""
        with closing(self.connect(autocommit=True)) as connection, connection.cursor() as cursor:
            cursor.execute("select table_name from information_schema.tables where table_schema = %s "
                           "and table_type = 'BASE TABLE'", [dataset])
            for (table,) in cursor.fetchall():
                cursor.execute(f'analyze "{dataset}"."{table}"')

    def claim_for_demo(self) -> None:
        """The demo writes only to a database without history, or one it marked as its own."""
        with closing(self.connect(autocommit=True)) as connection, connection.cursor() as cursor:
            cursor.execute("select nspname from pg_namespace where nspname in ('history', %s)", [DEMO_MARKER])
            found = {name for (name,) in cursor.fetchall()}
            if "history" in found and DEMO_MARKER not in found:
                raise WarehouseSettingError(
                    f"{self.describe()} holds an install's history, which the demo's simulated records must never "
                    "join: point DESTINATION__POSTGRES__CREDENTIALS at a database of its own for the demo.")
            cursor.execute(f"create schema if not exists {DEMO_MARKER}")
            cursor.execute(f"comment on schema {DEMO_MARKER} is 'The data of dora demo''s simulated organisation.'")

    def publish(self) -> dict[str, int]:
        from dora.core.postgres_publish import publish

        return publish(self)

    def published(self) -> PublishedMarts:
        return PostgresPublished(self)


@dataclass(frozen=True)
class AdvisoryWriteLock(WriteLock):
    """pg_advisory_lock on LOCK_KEY, held by a connection of its own for the block."""

    warehouse: PostgresWarehouse

    @contextmanager
    def acquired(self, wait: bool) -> Iterator[bool]:
        with closing(self.warehouse.connect(autocommit=True, **KEEPALIVES)) as connection, connection.cursor() as cursor:
            if wait:
                cursor.execute("select pg_advisory_lock(%s)", [LOCK_KEY])
            else:
                cursor.execute("select pg_try_advisory_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    yield False
                    return
            yield True  # closing the connection releases the lock


@dataclass(frozen=True)
class PostgresPublished(PublishedMarts):
    """The published schemas of the warehouse's database, read in a read-only transaction."""

    warehouse: PostgresWarehouse

    def describe(self) -> str:
        return f"{self.warehouse.describe()}, schema marts"

    def exists(self) -> bool:
        with self.connect() as reader:
            return "marts" in {table.split(".")[0] for table in reader.tables()}

    @contextmanager
    def connect(self) -> Iterator[PublishedReader]:
        with closing(self.warehouse.connect(TimeZone="UTC")) as connection:
            connection.set_session(readonly=True)
            yield PostgresReader(connection)
