"""The install every asset and sensor works on, handed to them as the Dagster resource `install`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dlt
from dagster import ConfigurableResource

from dlt_sources.pipelines import make_pipeline
from dora.core.home import Home
from dora.core.warehouse_lock import FileWriteLock, WriteLock


class InstallResource(ConfigurableResource):
    """One install: its data directory (DORA_HOME: the warehouse, the published file, dlt's state,
    the custom API's landing files, the dashboard), its definition files, and the write lock of
    its warehouse. Assets and sensors receive it beside `dbt` and `dlt` instead of closing over
    paths or reading environment variables, so one set of definitions serves whichever install
    the resource names."""

    home_dir: str
    definitions_dir: str

    @property
    def home(self) -> Home:
        return Home(Path(self.home_dir))

    @property
    def definitions(self) -> Path:
        """The definition files (dbt seeds) users edit."""
        return Path(self.definitions_dir)

    def write_lock(self) -> WriteLock:
        """Held by every step that writes the warehouse (dlt loads, dbt builds, publishing). A
        DuckDB warehouse is one file that one process may write: its lock is a file beside it."""
        return FileWriteLock(self.home.root / "warehouse.lock")

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """While dbt runs: DORA_DEFINITIONS_DIR names the definition files, so dbt's validation
        (macros/validate_definitions.sql) names the files a person edits, not the install's
        `seeds` link to them. Restored afterwards: nothing else in the process reads it."""
        previous = os.environ.get("DORA_DEFINITIONS_DIR")
        os.environ["DORA_DEFINITIONS_DIR"] = self.definitions_dir
        try:
            yield
        finally:
            if previous is None:
                del os.environ["DORA_DEFINITIONS_DIR"]
            else:
                os.environ["DORA_DEFINITIONS_DIR"] = previous

    def pipeline(self, source: str) -> dlt.Pipeline:
        """The dlt pipeline loading `source` into this install's warehouse."""
        return make_pipeline(source, self.home)
