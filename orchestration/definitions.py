"""The one Definitions object: ingestion (dlt) -> definitions (seeds) -> history -> marts -> publish.

Each integration module owns its assets; this file only assembles them for one install, whose
paths, definition files and write lock reach the assets as the `install` resource.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, definitions

from dora.core.home import Home, definitions_dir
from orchestration.automation import build_refresh_schedule, definitions_changed, refresh_job
from orchestration.dbt_install import DBT_EXECUTABLE, DoraDbtCliResource, install_dbt_project
from orchestration.ingestion import DltResource, build_ingestion_assets
from orchestration.install import InstallResource
from orchestration.progress import step_progress
from orchestration.publishing import dashboard, published_marts
from orchestration.transformation import build_dbt_assets


def build_definitions(home: Home, definitions: Path) -> Definitions:
    """Everything Dagster runs for the install in `home` with the definition files in `definitions`."""
    home.ensure()
    install = InstallResource(home_dir=str(home.root), definitions_dir=str(definitions))
    project = install_dbt_project(home, definitions)
    return Definitions(
        assets=[*build_ingestion_assets(install), build_dbt_assets(project), published_marts, dashboard],
        jobs=[refresh_job],
        schedules=[build_refresh_schedule()],
        sensors=[definitions_changed],
        resources={
            "install": install,
            "dbt": DoraDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE),
            "dlt": DltResource(),
        },
        loggers={"step_progress": step_progress},
    )


@definitions
def defs() -> Definitions:
    """Loaded by `dagster dev` (workspace.yaml) for the install DORA_HOME and DORA_DEFINITIONS_DIR name."""
    return build_definitions(Home.from_env(), definitions_dir())
