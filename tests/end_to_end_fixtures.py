"""Helpers for the end-to-end test: one install (DORA_HOME, definitions, env) pointed at a
SimulatedOrg, run through the real pipeline (`dora run`'s run_pipeline), and the operations the
test performs between runs (refresh raw from scratch, dbt --full-refresh, snapshots)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import duckdb
from dagster import DagsterEventType, DagsterInstance

from dbt_fixtures import execute
from dlt_sources.pipelines import make_pipeline
from dlt_sources.settings import REQUIRED, missing_settings
from dora.demo import rewrite_definition_file
from dora.core.home import Home, definitions_dir
from dora.run_cli import run_pipeline
from orchestration.ingestion import configured_sources

HISTORY_TABLES = ["history.deployment_history", "history.incident_history", "history.pull_request_history"]
MART_TABLES = ["marts.deployments", "marts.changes", "marts.incidents", "marts.dora_weekly", "marts.dora_summary"]
RAW_DATASETS = ["raw_github", "raw_pagerduty", "raw_custom"]


@dataclass
class Install:
    """A data directory and its own definition files, for a process whose environment points
    the sources at a SimulatedOrg (dora.demo.demo_environment)."""

    home: Home
    definitions: Path
    work: Path  # scratch space of the test (warehouse copies)

    @classmethod
    def create(cls, root: Path, seeds: dict[str, list[dict[str, str]]]) -> "Install":
        """`seeds`: definition file name (without .csv) -> its rows; the other files are the shipped ones."""
        definitions = shutil.copytree(definitions_dir(), root / "definitions")
        install = cls(Home(root / "home"), definitions, root / "work")
        install.work.mkdir()
        install.write_definitions(seeds)
        return install

    def environment(self) -> dict[str, str]:
        """The install as `dora` commands and Dagster find it in the environment."""
        return {
            "DORA_HOME": str(self.home.root),
            "DAGSTER_HOME": str(self.home.dagster_home),
            "DORA_DEFINITIONS_DIR": str(self.definitions),
        }

    def write_definitions(self, seeds: dict[str, list[dict[str, str]]]) -> None:
        """Rewrite definition files with these rows under their current header (cells left out are empty)."""
        for name, rows in seeds.items():
            rewrite_definition_file(self.definitions / f"{name}.csv", rows)

    def run(self) -> None:
        """`dora run`: extract, dbt build, publish, dashboard; a failure shows the failed steps' errors."""
        try:
            run_pipeline(self.home, self.definitions)
        except click.ClickException as error:
            raise AssertionError(f"{error.message}\n{failed_steps()}") from error

    def extract(self) -> None:
        """Only the extraction step of `dora run`: each configured source's dlt pipeline."""
        for name, source in configured_sources(self.home, self.definitions).items():
            if name not in REQUIRED or not missing_settings(name):
                make_pipeline(name, self.home).run(source())

    def refresh_raw(self) -> None:
        """Forget everything extracted: drop the raw datasets (tables and dlt's stored state) and
        dlt's working directories, so the next run loads the sources from scratch."""
        with duckdb.connect(str(self.home.warehouse)) as con:
            for dataset in RAW_DATASETS:
                con.execute(f"drop schema if exists {dataset} cascade")
        shutil.rmtree(self.home.dlt_dir)

    def dbt_full_refresh(self) -> None:
        """`dbt build --full-refresh` run by hand in the install's dbt project ($DORA_HOME/dbt, which
        the pipeline prepares, its profile naming the install's warehouse). In its own process, as from a shell: dbt-duckdb run in-process keeps
        the warehouse open, and the next pipeline run's dbt could not take its lock."""
        project = self.home.root / "dbt"
        result = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "--quiet", "--no-use-colors", "build", "--full-refresh",
             "--exclude-resource-type", "unit_test", "--project-dir", str(project), "--profiles-dir", str(project)],
            capture_output=True, text=True, cwd=project,
        )
        assert result.returncode == 0, result.stdout + result.stderr  # --quiet: only the errors

    def keep_warehouse(self, name: str) -> Path:
        """A copy of the warehouse as it is now, for the tests of one stage to query later."""
        copy = self.work / f"{name}.duckdb"
        execute(self.home.warehouse, "checkpoint")  # everything in the file, nothing left in a WAL
        shutil.copyfile(self.home.warehouse, copy)
        return copy

    def query(self, sql: str) -> list[tuple]:
        return execute(self.home.warehouse, sql)


def snapshot(warehouse: Path, tables: list[str] = HISTORY_TABLES + MART_TABLES) -> dict[str, list[tuple]]:
    """Tables in full, in a stable order; history without `loaded_at` (the dlt load a row last
    came from, which a reload of the same record moves on by design)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: sorted(con.execute(f"select * {'exclude (loaded_at)' if table in HISTORY_TABLES else ''} "
                                      f"from {table}").fetchall(), key=repr)
            for table in tables
        }


def failed_steps(home: Home | None = None) -> str:
    """The errors of the failed steps of the last Dagster run of `home` (default: DAGSTER_HOME's),
    causes included."""
    with (DagsterInstance.from_config(str(home.dagster_home)) if home else DagsterInstance.get()) as instance:
        run_id = instance.get_run_records(limit=1)[0].dagster_run.run_id
        failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    return "\n".join(failure.dagster_event.event_specific_data.error.to_string() for failure in failures)
