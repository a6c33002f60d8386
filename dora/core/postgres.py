"""A PostgreSQL warehouse: one database that dlt loads, dbt builds in and BI tools read.

The connection is dlt's setting `destination.postgres.credentials` (from the environment, e.g.
DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:port/db, or .dlt/secrets.toml),
resolved by dlt's own configuration code so dlt, dbt and this module always use the same one.
While dbt runs, its `postgres` target reads DORA_PG_* variables derived from those credentials;
the password in DBT_ENV_SECRET_DORA_PG_PASSWORD (dbt keeps DBT_ENV_SECRET_* out of its logs),
never in a file, and `describe` leaves it out.

Writers take turns with session-level advisory locks of that database (dora.core.warehouse_lock):
a `dora run` holds one for the whole run, each writing step one while it writes, so two installs
pointing at one database never run at once and a scheduled run waits for a manual one.
"""

from __future__ import annotations

import logging
import os
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
from dora.core.warehouse import Warehouse, WarehouseUnusable
from dora.core.warehouse_lock import RUN_KEY, WRITE_KEY, AdvisoryLock, WriteLock

log = logging.getLogger(__name__)

# dbt builds the marts here; publishing copies them to `marts` (dora.core.postgres_publish).
BUILD_SCHEMA = "marts_build"
# No JIT compilation in dbt's sessions: PostgreSQL compiles a query to machine code when its
# estimated cost is high, which the marts' many-CTE queries always are, and the compilation cost
# more than it saved: 24.8 s of the deployments mart's 26.3 s at bench scale 1 (6.9 s without).
DBT_SESSION_OPTIONS = "-c jit=off"
PASSWORD_VARIABLE = "DBT_ENV_SECRET_DORA_PG_PASSWORD"  # read by dbt_project/profiles.yml
LOADER_FILE_FORMAT = "insert_values"
DEMO_MARKER = "dora_demo"  # the schema marking a database as `dora demo`'s
# The server drops the session (and the lock) of a client silent this long: 60 + 6 x 10 s.
KEEPALIVES = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 6}


def credentials_from_settings() -> PostgresCredentials:
    """dlt's `destination.postgres.credentials`, as dlt itself resolves them; a clear error naming
    the setting when they are missing or incomplete (never their value)."""
    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres", "credentials"))
    except ConfigurationException as error:
        missing = getattr(error, "fields", None)
        problem = (f"lacks {', '.join(missing)}" if missing and "host" not in missing
                   else "is not set" if missing else "is not a connection string")
        raise WarehouseUnusable(
            f"The warehouse is postgres, but destination.postgres.credentials {problem}: set "
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
        try:
            connection = psycopg2.connect(
                host=self.credentials.host, port=self.credentials.port, user=self.credentials.username,
                password=self.credentials.password, dbname=self.credentials.database, application_name="dora",
                connect_timeout=int(self.credentials.connect_timeout or 15),
                options=" ".join(f"-c {name}={value}" for name, value in settings.items()),
                **{name: value for name, value in query.items() if name.startswith("ssl")})
        except psycopg2.OperationalError as error:  # the server's words; they never hold the password
            raise WarehouseUnusable(f"Cannot connect to the warehouse {self.describe()} "
                                    f"(destination.postgres.credentials): {str(error).strip()}") from None
        connection.autocommit = autocommit
        return connection

    def query(self, sql: str) -> list[tuple]:
        with closing(self.connect()) as connection, connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def write_lock(self) -> WriteLock:
        return AdvisoryLock(self._lock_session, WRITE_KEY)

    def run_lock(self) -> WriteLock:
        """Two installs pointing at this database never run at once (a DuckDB file has one data
        directory, whose own run lock is enough)."""
        return AdvisoryLock(self._lock_session, RUN_KEY)

    def _lock_session(self):
        """A connection of its own holding an advisory lock: if its process dies, the server closes
        the session and frees the lock (keepalives notice a vanished host within ~2 minutes)."""
        return self.connect(autocommit=True, **KEEPALIVES)

    def dlt_destination(self) -> Any:
        return dlt.destinations.postgres(credentials=self.credentials)

    def dlt_run_settings(self) -> dict[str, Any]:
        """The sources ask for JSONL files (dlt_sources/rows.py), which dlt's postgres destination
        cannot load; INSERT statements it can, exactly (docs/benchmarks.md compares the formats)."""
        return {"loader_file_format": LOADER_FILE_FORMAT}

    def dbt_output(self) -> dict[str, Any]:
        """Only where the marts are built: the connection reaches dbt through its environment."""
        return {"schema": BUILD_SCHEMA}

    def dbt_environment(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml's `postgres` target reads, from dlt's credentials:
        one connection setting for dlt, dbt and dora, nothing of it written to a file; and dbt's
        session settings (DBT_SESSION_OPTIONS), which libpq takes from PGOPTIONS (after the
        user's own, if any)."""
        return {"DORA_PG_HOST": self.credentials.host, "DORA_PG_PORT": str(self.credentials.port),
                "DORA_PG_USER": self.credentials.username, "DORA_PG_DBNAME": self.credentials.database,
                "DORA_PG_SSLMODE": (self.credentials.query or {}).get("sslmode", "prefer"),
                PASSWORD_VARIABLE: self.credentials.password or "",
                "PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {DBT_SESSION_OPTIONS}".lstrip()}

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
                raise WarehouseUnusable(
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
