"""dlt sources as Dagster assets: one asset per raw table, keyed like the dbt sources that read it."""

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, FreshnessPolicy
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.common.schema import Schema
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dlt_sources.custom import custom
from dlt_sources.github import github
from dlt_sources.gitlab import gitlab
from dlt_sources.jira import jira
from dlt_sources.pagerduty import pagerduty
from dlt_sources.progress import load_until_done
from dora.core.changed_files import repositories_with_paths
from dora.core.home import Home
from orchestration.install import InstallResource


def configured_sources(home: Home, definitions: Path) -> dict[str, Callable[[], DltSource]]:
    """Each source built from dlt's configuration (secrets resolved when called, at run time);
    GitHub reads changed files of the repositories a `paths` cell of the definitions names."""
    return {
        "github": lambda: github(changed_files_repositories=repositories_with_paths(definitions)),
        "pagerduty": pagerduty,
        "gitlab": gitlab,
        "jira": jira,
        "custom": lambda: custom(landing_dir=str(home.landing)),
    }


def graph_sources() -> dict[str, DltSource]:
    """Each source with placeholder settings: the asset graph needs only its resource names, and
    must load on a machine where nothing is configured yet (no secret is read, no file or URL opened)."""
    return {
        "github": github(access_token="unused", repositories=["graph/only"]),
        "pagerduty": pagerduty(api_key="unused"),
        "gitlab": gitlab(access_token="unused", projects=["graph/only"]),
        "jira": jira(base_url="http://unused", jql="project = X", api_token="unused"),
        "custom": custom(landing_dir="unused"),
    }


class RawTableTranslator(DagsterDltTranslator):
    """Keys a dlt resource by the table it loads (`raw_github/pull_requests`), the same key the
    dbt translator gives the dbt source over that table, and flags a raw table that has not
    loaded for DORA_FRESHNESS_HOURS (default 2: two missed hourly runs)."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=AssetKey([data.pipeline.dataset_name, data.resource.table_name]),
            group_name="ingestion",
            deps=[],
            freshness_policy=FreshnessPolicy.time_window(
                fail_window=timedelta(hours=float(os.environ.get("DORA_FRESHNESS_HOURS", "2")))
            ),
        )


class DltResource(DagsterDltResource):
    """dagster-dlt 0.29 pops keys out of dlt's live schema while it builds metadata, so a second
    materialization in one process fails with KeyError 'name' (dagster-io/dagster#34052).
    Hand it a copy instead. tests/test_upgrade_guards.py fails when dagster-dlt changes the method."""

    def _extract_table_schema_metadata(self, table_name: str, schema: Schema):
        return super()._extract_table_schema_metadata(table_name, schema.clone())


def build_ingestion_assets(install: InstallResource) -> list[AssetsDefinition]:
    """One multi-asset per source. The graph needs a dlt pipeline (the dataset names the assets);
    a run loads through the pipeline of the `install` resource it is given."""
    return [_source_assets(name, graph_source, install.pipeline(name)) for name, graph_source in graph_sources().items()]


def _source_assets(name: str, graph_source: DltSource, graph_pipeline: Pipeline) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=graph_source,
        dlt_pipeline=graph_pipeline,
        name=f"extract_{name}",
        dagster_dlt_translator=RawTableTranslator(),
    )
    def extract(context: AssetExecutionContext, dlt: DltResource, install: InstallResource):
        """One load, or several for a source that reads in passes (a backfill): each commits its
        rows and cursors (dlt_sources.progress.load_until_done); each raw table reports its last
        load. The source is cut to the selected raw tables first, so only their passes count."""
        tables = {key.path[-1] for key in context.selected_asset_keys}
        warehouse = install.warehouse
        pipeline = install.pipeline(name)

        def selected_source() -> DltSource:
            source = configured_sources(install.home, install.definitions)[name]()
            return source.with_resources(*[r.name for r in source.selected_resources.values() if r.table_name in tables])

        def load(source: DltSource) -> list:
            return list(dlt.run(context=context, dlt_source=source, dlt_pipeline=pipeline,
                                **warehouse.dlt_run_settings()))

        with warehouse.write_lock().held():
            loads = load_until_done(selected_source, load, pipeline)
            warehouse.after_load(pipeline.dataset_name)
        yield from {result.asset_key: result for results in loads for result in results}.values()

    return extract
