"""The one Definitions object: ingestion (dlt) -> definitions (seeds) -> history -> marts -> publish.

Each integration module owns its assets; this file only assembles them for one install, whose
paths, definition files and write lock reach the assets as the `install` resource.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, definitions

from dora.core.home import Home, definitions_dir
from dora.core.warehouse import warehouse_kind
from orchestration.automation import build_definitions_sensor, build_jobs, build_refresh_schedule
from orchestration.dbt_install import DBT_EXECUTABLE, DoraDbtCliResource, install_dbt_project
from orchestration.ingestion import DltResource, build_ingestion_assets
from orchestration.install import InstallResource
from orchestration.progress import step_progress
from orchestration.publishing import dashboard, published_marts
from orchestration.transformation import build_dbt_assets


def build_definitions(home: Home, definitions: Path, warehouse: str | None = None) -> Definitions:
    """Everything Dagster runs for the install in `home` with the definition files in `definitions`,
    writing the warehouse of kind `warehouse` (default: the `warehouse` setting, dora.core.warehouse)."""
    home.ensure()
    install = InstallResource(home_dir=str(home.root), definitions_dir=str(definitions),
                              warehouse_kind=warehouse_kind(warehouse))
    project = install_dbt_project(home, definitions, install.warehouse)
    refresh_job, rebuild_jobs = build_jobs(install.warehouse.describe())
    return Definitions(
        assets=[*build_ingestion_assets(install), build_dbt_assets(project), published_marts, dashboard],
        jobs=[refresh_job],
        schedules=[build_refresh_schedule(refresh_job)],
        sensors=[build_definitions_sensor(rebuild_jobs)],
        resources={
            "install": install,
            "dbt": DoraDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE),
            "dlt": DltResource(),
        },
        loggers={"step_progress": step_progress},
    )


@definitions
def defs() -> Definitions:
    """Loaded by `dagster dev` (workspace.yaml) for the install DORA_HOME and DORA_DEFINITIONS_DIR
    name, writing the warehouse of the `warehouse` setting."""
    return build_definitions(Home.from_env(), definitions_dir())
