"""Which warehouse an install writes, and what differs between the kinds: where dlt loads, which
dbt target builds, how writers take turns, how the marts are published and read.

`duckdb` (the default) is one file below DORA_HOME: nothing to run, one writer at a time.
`postgres` is a database on a server (dora.core.postgres), for organisations that already run
one and want the marts beside the rest of their data. The choice is dlt's setting `warehouse`
(env WAREHOUSE, or `warehouse = "postgres"` in .dlt/config.toml), or `--warehouse` of a command;
the connection is dlt's own `destination.postgres.credentials`. Everything else of the pipeline
(sources, models, assets) is the same for both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import duckdb

from dora.core.home import Home
from dora.core.published import DuckDBPublished, PublishedMarts
from dora.core.warehouse_config import warehouse_config
from dora.core.warehouse_lock import FileWriteLock, WriteLock

WAREHOUSES = ("duckdb", "postgres")
DEFAULT_WAREHOUSE = "duckdb"


class WarehouseUnusable(RuntimeError):
    """A warehouse that cannot be used (a bad setting, a server that refuses): the message says why
    and which setting to look at, never a secret."""


def warehouse_kind(chosen: str | None = None) -> str:
    """`chosen` (a command's --warehouse) when given, else dlt's `warehouse` setting, else duckdb."""
    import dlt  # (imported when needed: the command line starts faster without it)

    kind = chosen or dlt.config.get("warehouse") or DEFAULT_WAREHOUSE
    if kind not in WAREHOUSES:
        raise WarehouseUnusable(f"Unknown warehouse {kind!r} (setting `warehouse`, env WAREHOUSE, or "
                                    f"--warehouse): choose one of {', '.join(WAREHOUSES)}.")
    return kind


def open_warehouse(home: Home, kind: str | None = None) -> Warehouse:
    """The warehouse of the install in `home`: of kind `kind`, else the configured one."""
    kind = warehouse_kind(kind)
    if kind == "postgres":
        from dora.core.postgres import PostgresWarehouse

        return PostgresWarehouse.from_settings()
    return DuckDBWarehouse(home)


class Warehouse(ABC):
    """What the pipeline needs to know of one warehouse."""

    kind: ClassVar[str]
    dbt_target: ClassVar[str]  # the output of dbt_project/profiles.yml this kind builds with

    @abstractmethod
    def describe(self) -> str:
        """Where it is, for people (never a secret)."""

    @abstractmethod
    def write_lock(self) -> WriteLock:
        """Held by every step that writes the warehouse (dlt loads, dbt builds, publishing)."""

    def run_lock(self) -> WriteLock | None:
        """Held for a whole `dora run` (never waited for) beside its data directory's run lock,
        when the warehouse may be shared beyond that directory; None when it cannot be."""
        return None

    @abstractmethod
    def query(self, sql: str) -> list[tuple]:
        """Run `sql` (one or more statements) on the warehouse dbt builds in and commit; the last
        statement's rows (none for a statement without a result)."""

    @abstractmethod
    def dlt_destination(self) -> Any:
        """dlt's destination loading the raw datasets."""

    @abstractmethod
    def dbt_output(self) -> dict[str, Any]:
        """What an install's profile sets in the dbt target's output (orchestration/dbt_install.py)."""

    def dlt_run_settings(self) -> dict[str, Any]:
        """Arguments of dlt's `pipeline.run` this warehouse needs beyond the sources' own hints."""
        return {}

    def dbt_environment(self) -> dict[str, str]:
        """Environment variables the dbt process needs (the profile reads secrets from them)."""
        return {}

    def after_load(self, dataset: str) -> None:
        """Called once a dlt load into `dataset` has finished."""

    def claim_for_demo(self) -> None:
        """Make sure `dora demo` may write here: simulated records must never join a real install's
        history. (A DuckDB demo has a data directory of its own: dora.demo.demo_home.)"""

    @abstractmethod
    def publish(self) -> dict[str, int]:
        """Make the marts built by dbt what readers see, in one step; row counts by `schema.table`.
        The caller holds the write lock."""

    @abstractmethod
    def published(self) -> PublishedMarts:
        """What readers (BI tools, the dashboard, `dora status`) see."""


@dataclass(frozen=True)
class DuckDBWarehouse(Warehouse):
    """$DORA_HOME/warehouse.duckdb, published as a separate file (dora.core.publish)."""

    home: Home
    kind: ClassVar[str] = "duckdb"
    dbt_target: ClassVar[str] = "dev"

    def describe(self) -> str:
        return str(self.home.warehouse)

    def write_lock(self) -> WriteLock:
        """DuckDB is one file that one process may write: its lock is a file beside it."""
        return FileWriteLock(self.home.root / "warehouse.lock")

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home.warehouse), config=warehouse_config()) as con:
            result = con.execute(sql)
            return result.fetchall() if result.description else []

    def dlt_destination(self) -> Any:
        import dlt
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        return dlt.destinations.duckdb(DuckDbCredentials(str(self.home.warehouse), global_config=warehouse_config()))

    def dbt_output(self) -> dict[str, Any]:
        return {"path": str(self.home.warehouse)}

    def publish(self) -> dict[str, int]:
        from dora.core.publish import publish

        return publish(self.home)

    def published(self) -> PublishedMarts:
        return DuckDBPublished(self.home.published)
