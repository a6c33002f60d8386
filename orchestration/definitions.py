"""The one Definitions object: ingestion (dlt) -> definitions (seeds) -> history -> marts -> publish.

Each integration module owns its assets; this file only assembles them for one data directory.
"""

from __future__ import annotations

from dagster import Definitions, definitions

from dora.core.home import Home, definitions_dir
from orchestration.automation import build_definitions_sensor, build_refresh_schedule, refresh_job
from orchestration.ingestion import DltResource, build_ingestion_assets
from orchestration.progress import step_progress
from orchestration.publishing import build_publishing_assets
from orchestration.transformation import DoraDbtCliResource, build_dbt_assets, dbt_project


def build_definitions(home: Home) -> Definitions:
    home.ensure()
    project = dbt_project(home)
    return Definitions(
        assets=[*build_ingestion_assets(home).values(), build_dbt_assets(home, project), *build_publishing_assets(home, definitions_dir())],
        jobs=[refresh_job],
        schedules=[build_refresh_schedule()],
        sensors=[build_definitions_sensor(definitions_dir())],
        resources={"dbt": DoraDbtCliResource(project_dir=project), "dlt": DltResource()},
        loggers={"step_progress": step_progress},
    )


@definitions
def defs() -> Definitions:
    """Loaded by `dagster dev` (workspace.yaml) for the data directory in DORA_HOME."""
    return build_definitions(Home.from_env())
