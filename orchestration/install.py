"""The install every asset and sensor works on, handed to them as the Dagster resource `install`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dlt
from dagster import ConfigurableResource

from dlt_sources.pipelines import make_pipeline
from dora.core.environment import environment_set
from dora.core.home import Home
from dora.core.warehouse import Warehouse, open_warehouse
from dora.core.warehouse_lock import WriteLock


class InstallResource(ConfigurableResource):
    """One install: its data directory (DORA_HOME: dlt's state, the custom API's landing files, the
    dashboard, and a DuckDB warehouse and its published file), its definition files, and its
    warehouse (`duckdb` or `postgres`, dora.core.warehouse) with the warehouse's write lock. Assets
    and sensors receive it beside `dbt` and `dlt` instead of closing over paths or reading
    environment variables, so one set of definitions serves whichever install the resource names.
    A server's credentials are never part of it (Dagster stores resource settings with each run):
    the warehouse reads them from dlt's settings where it is used."""

    home_dir: str
    definitions_dir: str
    warehouse_kind: str = "duckdb"

    @property
    def home(self) -> Home:
        return Home(Path(self.home_dir))

    @property
    def definitions(self) -> Path:
        """The definition files (dbt seeds) users edit."""
        return Path(self.definitions_dir)

    @property
    def warehouse(self) -> Warehouse:
        return open_warehouse(self.home, self.warehouse_kind)

    def write_lock(self) -> WriteLock:
        """Held by every step that writes the warehouse (dlt loads, dbt builds, publishing)."""
        return self.warehouse.write_lock()

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """While dbt runs: DORA_DEFINITIONS_DIR names the definition files, so dbt's validation
        (macros/validate_definitions.sql) names the files a person edits, not the install's
        `seeds` link to them; and a server's password is there for dbt's profile. Restored
        afterwards: nothing else in the process reads them."""
        with environment_set({"DORA_DEFINITIONS_DIR": self.definitions_dir, **self.warehouse.dbt_environment()}):
            yield

    def pipeline(self, source: str) -> dlt.Pipeline:
        """The dlt pipeline loading `source` into this install's warehouse."""
        return make_pipeline(source, self.home, self.warehouse)
