"""dbt as Dagster assets: seeds (definitions), history models and marts, with dbt tests as checks."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dora.core import build_inputs
from orchestration.install import InstallResource
from orchestration.progress import FOR_PEOPLE


class DoraDbtTranslator(DagsterDbtTranslator):
    """Keys a dbt source by the physical raw table (`raw_github/pull_requests`), the same key
    the dlt assets use, so lineage joins; keys and groups a model by its folder
    (`marts/deployments`: the marts' schema is the target's, `marts` or `marts_build`)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=AssetKey([props["schema"], props["name"]]), group_name="ingestion")
        if props["resource_type"] == "seed":
            return spec.replace_attributes(group_name="definitions")
        # a model's folder: staging -> candidates -> history -> intermediate -> marts
        folder = props["fqn"][1]
        return spec.replace_attributes(key=AssetKey([folder, props["name"]]), group_name=folder)


# Every run's dbt writes here (relative to the project). dagster-dbt's default is a new directory
# per invocation (target/dora_dbt-<run>-<hash>, ~2.5 MB each) that nothing removes: an hourly
# install would grow by ~20 GB a year. Runs never overlap (the write lock), so one is enough.
RUN_TARGET = Path("target") / "dora_dbt"
NOTHING_NEW = ("Nothing new since the last publish (raw tables, definitions, project and report window "
               "unchanged): dbt, the publish and the dashboard are skipped.")


def build_dbt_assets(project: DbtProject):
    """The assets of the project's manifest (orchestration/dbt_install.py prepares it)."""

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=DoraDbtTranslator())
    def dora_dbt(context: AssetExecutionContext, dbt: DbtCliResource, install: InstallResource):
        """A whole build is skipped when what it would be made from is what the published marts
        were made from (dora.core.build_inputs): it yields nothing, so Dagster skips the publish
        and the dashboard after it. A subset (a rebuild after a definition edit) always builds, and
        forgets what the last whole build was made from."""
        warehouse = install.warehouse
        with install.write_lock().held(), install.dbt_environment():
            if context.is_subset:
                inputs = None
                build_inputs.forget(warehouse)
            else:
                inputs = build_inputs.current(warehouse, project.manifest_path, install.definitions)
                if build_inputs.unchanged_since_published(warehouse, inputs):
                    context.log.info(FOR_PEOPLE + NOTHING_NEW)
                    return
            # Unit tests need existing tables (stack pitfall 9); they run in the test suite instead.
            yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context,
                               target_path=RUN_TARGET).stream()
            if inputs is not None:
                build_inputs.record_built(warehouse, inputs)

    return dora_dbt
