"""Where one install keeps all of its state: a single directory chosen by DORA_HOME.

Everything a run writes (warehouse, published marts, dlt state, Dagster home, custom-API landing
files, dashboard) lives below it, so tests use a temporary directory and two installs never collide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_HOME = PROJECT_ROOT / "data"


def definitions_dir() -> Path:
    """The definition files (dbt seeds) users edit; DORA_DEFINITIONS_DIR points elsewhere. Read
    where a command starts (and by `dagster dev`'s definitions), then passed on as a path."""
    return Path(os.environ.get("DORA_DEFINITIONS_DIR", DBT_PROJECT_DIR / "seeds")).expanduser().resolve()


@dataclass(frozen=True)
class Home:
    """The paths below one data directory."""

    root: Path

    @classmethod
    def from_env(cls) -> "Home":
        return cls(Path(os.environ.get("DORA_HOME", DEFAULT_HOME)).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        """The DuckDB file the pipeline writes (raw datasets, history, marts)."""
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The read-only copy of the marts that BI tools open: a link to the latest publish
        (dora.core.publish)."""
        return self.root / "published" / "dora.duckdb"

    @property
    def dlt_dir(self) -> Path:
        return self.root / "dlt"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def landing(self) -> Path:
        """Append-only files written by the custom API and `dora record`."""
        return self.root / "landing"

    @property
    def run_log(self) -> Path:
        """The log of the last `dora run`: dbt's output, then each failed step's whole error (the
        terminal shows one line per step)."""
        return self.root / "last-run.log"

    @property
    def dashboard(self) -> Path:
        return self.root / "dashboard.html"

    def ensure(self) -> "Home":
        for path in (self.root, self.published.parent, self.dlt_dir, self.dagster_home, self.landing):
            path.mkdir(parents=True, exist_ok=True)
        return self
