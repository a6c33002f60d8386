"""The one Definitions object: ingestion (dlt) -> definitions (seeds) -> history -> marts -> publish.

Each integration module owns its assets; this file only assembles them for one data directory.
"""

from __future__ import annotations

from dagster import Definitions, definitions
from dagster_dbt import DbtCliResource

from dlt_sources.settings import REQUIRED, missing_settings
from dora.home import Home, definitions_dir
from orchestration.automation import (
    build_definitions_sensor,
    build_refresh_schedule,
    refresh_job,
)
from orchestration.ingestion import DltResource, build_ingestion_assets
from orchestration.progress import step_progress
from orchestration.publishing import build_publishing_assets
from orchestration.transformation import build_dbt_assets, dbt_project


def build_definitions(home: Home) -> Definitions:
    home.ensure()
    project = dbt_project(home)
    extract = build_ingestion_assets(home)

    def unconfigured_source_keys():
        return [key for name in REQUIRED if missing_settings(name) for key in extract[name].keys]

    return Definitions(
        assets=[*extract.values(), build_dbt_assets(home, project), *build_publishing_assets(home, definitions_dir())],
        jobs=[refresh_job],
        schedules=[build_refresh_schedule(unconfigured_source_keys)],
        sensors=[build_definitions_sensor(definitions_dir())],
        resources={"dbt": DbtCliResource(project_dir=project), "dlt": DltResource()},
        loggers={"step_progress": step_progress},
    )


@definitions
def defs() -> Definitions:
    """Loaded by `dagster dev` (workspace.yaml) for the data directory in DORA_HOME."""
    return build_definitions(Home.from_env())
