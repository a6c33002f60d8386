"""dbt as one install runs it: a project directory of its own, its profile, its parsed manifest,
and the dbt command line dagster-dbt invokes."""

from __future__ import annotations

import shutil
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import yaml
from dagster_dbt import DbtCliResource, DbtProject, DbtProjectPreparer
from dagster_shared.record import replace
from dbt.cli.main import dbtRunner
from packaging.version import Version

from dora.core.environment import environment_set
from dora.core.home import DBT_PROJECT_DIR, Home
from dora.core.warehouse import Warehouse

# dbt of this Python environment, whether or not its bin directory is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# Entries of the install's dbt directory that are its own, not links to the shared project.
PER_INSTALL = {"seeds", "profiles.yml", "target", "logs", "dbt_packages", ".user.yml"}


def install_dbt_project(home: Home, definitions: Path, warehouse: Warehouse) -> DbtProject:
    """The dbt project as this install runs it, its manifest prepared.

    dbt runs from `$DORA_HOME/dbt`: links to the project's files, `seeds` linked to the
    definitions directory, and a profile naming this install's warehouse. Seeds must sit inside
    the project directory: dbt writes each seed's SQL to target/run/<seed path>, and for a seed
    path outside the project that lands on the CSV file itself. Each install also keeps its own
    target directory, so two installs never share dbt artifacts.
    """
    project_dir = home.root / "dbt"
    project_dir.mkdir(parents=True, exist_ok=True)
    links = {entry.name: entry for entry in DBT_PROJECT_DIR.iterdir() if entry.name not in PER_INSTALL}
    links["seeds"] = definitions
    for name, target in links.items():
        link = project_dir / name
        if not (link.is_symlink() and link.resolve() == target.resolve()):
            if link.is_dir() and not link.is_symlink():
                shutil.rmtree(link)  # a home copied without its links
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    _write_if_changed(project_dir / "profiles.yml", install_profile(warehouse))
    project = replace(DbtProject(project_dir=project_dir, profiles_dir=project_dir), preparer=InstallPreparer())
    with environment_set(warehouse.dbt_environment()):  # `dbt parse` reads the profile too
        project.prepare_if_dev()
    return project


def install_profile(warehouse: Warehouse) -> str:
    """dbt_project/profiles.yml with this install's warehouse as the default target. A DuckDB
    install's path is written in, so dbt run by hand in $DORA_HOME/dbt needs nothing more; a
    server's connection never goes into the file: dbt gets it in its environment while it runs
    (Warehouse.dbt_environment)."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    for profile in profiles.values():
        profile["target"] = warehouse.dbt_target
        profile["outputs"][warehouse.dbt_target].update(warehouse.dbt_output())
    return "# Written by dora from dbt_project/profiles.yml for this install.\n" + yaml.safe_dump(profiles, sort_keys=False)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


class ProjectNotParsed(Exception):
    """dbt found the project itself broken (its SQL or YAML, not the data or the definitions)."""


class InstallPreparer(DbtProjectPreparer):
    """Parses an install's project when its manifest is missing or older than any file it
    describes (models, macros, YAML, definition files, the links themselves): an edit is never
    run against a stale manifest, while an unchanged project skips the parse (~5 s). Every run
    checks, not only under `dagster dev`: definition files change under a running install."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if self.is_stale(project):
            self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        """`dbt parse` (the project has no packages) in this process, where dagster-dbt has
        imported dbt already: dagster-dbt's preparer runs it in a new process, which pays dbt's
        start-up again (a new install's parse: 11.1 s that way, 6.0 s here; docs/benchmarks.md).
        Parsing opens no connection, so the warehouse stays free for the build's dbt process."""
        project_dir = str(project.project_dir)
        result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", project_dir, "--profiles-dir",
                                     str(project.profiles_dir), "--target-path", str(project.target_path)])
        if not result.success:
            raise ProjectNotParsed(f"dbt could not parse the project in {project_dir}: {result.exception}")

    @staticmethod
    def is_stale(project: DbtProject) -> bool:
        if not project.manifest_path.exists():
            return True
        built = project.manifest_path.stat().st_mtime
        for entry in project.project_dir.iterdir():
            if entry.name in PER_INSTALL - {"seeds", "profiles.yml"}:
                continue
            if entry.lstat().st_mtime > built:
                return True
            files = entry.rglob("*") if entry.is_dir() else [entry]
            if any(path.stat().st_mtime > built for path in files if path.is_file()):
                return True
        return False


class DoraDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without its two probes before every dbt command, which cost
    ~7 s of a ~20 s demo build: `dbt --version` in a subprocess (a whole dbt start-up) to tell dbt
    Core from the Fusion engine, and an in-process dbt adapter, used only to fetch row counts and
    column metadata, which these assets do not ask for. dbt here is always the dbt-core package
    installed alongside (pyproject.toml). tests/test_upgrade_guards.py fails when dagster-dbt
    renames or reshapes what this overrides."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None
