"""dbt as Dagster assets: seeds (definitions), history models and marts, with dbt tests as checks."""


import os
import shutil
import sys
from collections.abc import Mapping
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from dora.core.home import DBT_PROJECT_DIR, Home, definitions_dir
from dora.core.warehouse_lock import warehouse_lock

# Entries of the dbt project that belong to one install, not to the shared project.
PER_INSTALL = {"seeds", "target", "logs", "dbt_packages", ".user.yml"}


def dbt_project(home: Home) -> DbtProject:
    """The dbt project as this install runs it, parsed here when its manifest is stale.

    dbt runs from `$DORA_HOME/dbt`: links to the project's files, plus `seeds` linked to the
    definitions directory (DORA_DEFINITIONS_DIR, default dbt_project/seeds). Seeds must sit
    inside the project directory: dbt writes each seed's SQL to target/run/<seed path>, and for
    a seed path outside the project that lands on the CSV file itself. Each install also keeps
    its own target directory, so two installs never share dbt artifacts.

    dbt reads the warehouse path from DORA_WAREHOUSE (profiles.yml) and dagster-dbt runs `dbt`
    from PATH, so both are set here, as if the venv were activated; DORA_DEFINITIONS_DIR is set
    to the directory `seeds` links to, so dbt's errors name the files a person edits.
    """
    os.environ["DORA_WAREHOUSE"] = str(home.warehouse)
    os.environ["DORA_DEFINITIONS_DIR"] = str(definitions_dir())
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    project_dir = home.root / "dbt"
    project_dir.mkdir(parents=True, exist_ok=True)
    links = {entry.name: entry for entry in DBT_PROJECT_DIR.iterdir() if entry.name not in PER_INSTALL}
    links["seeds"] = definitions_dir()
    for name, target in links.items():
        link = project_dir / name
        if not (link.is_symlink() and link.resolve() == target.resolve()):
            if link.is_dir() and not link.is_symlink():
                shutil.rmtree(link)  # a home copied without its links
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    if _manifest_is_stale(project):
        # what project.preparer.prepare does (the project has no packages), minus its probes
        DoraDbtCliResource(project_dir=project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any file of the project it describes
    (models, macros, YAML, definition files, and the links themselves), so an edit is never run
    against a stale manifest while an unchanged project skips a parse (seconds per run)."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    for entry in project.project_dir.iterdir():
        if entry.name in PER_INSTALL - {"seeds"}:
            continue
        if entry.lstat().st_mtime > built:
            return True
        files = entry.rglob("*") if entry.is_dir() else [entry]
        if any(path.stat().st_mtime > built for path in files if path.is_file()):
            return True
    return False


class DoraDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without its two probes before every `dbt build`, which cost
    ~7 s of a ~20 s demo build: `dbt --version` in a subprocess (a whole dbt start-up) to tell dbt
    Core from the Fusion engine, and an in-process dbt adapter, used only to fetch row counts and
    column metadata, which these assets do not ask for. dbt here is always the dbt-core package
    installed alongside (pyproject.toml)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None


class DoraDbtTranslator(DagsterDbtTranslator):
    """Keys a dbt source by the physical raw table (`raw_github/pull_requests`), the same key
    the dlt assets use, so lineage joins; groups nodes by their folder."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=AssetKey([props["schema"], props["name"]]), group_name="ingestion")
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="definitions")
        # a model's group is its folder: staging -> candidates -> history -> intermediate -> marts
        return spec.replace_attributes(group_name=props["fqn"][1])


def build_dbt_assets(home: Home, project: DbtProject):
    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=DoraDbtTranslator())
    def dora_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
        # Unit tests need existing tables (stack pitfall 9); they run in the test suite instead.
        with warehouse_lock(home):
            yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()

    return dora_dbt
