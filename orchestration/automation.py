"""When runs happen: an hourly refresh, and a rebuild when a definition file changes.

Every job is tagged with the warehouse it writes (`dora/warehouse`), so a deployment's queued
run coordinator can let one run at a time write each warehouse (deploy/dagster.yaml).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from dlt_sources.settings import REQUIRED, missing_settings
from orchestration.install import InstallResource

# The definition files a user edits; a change to one rebuilds what depends on it, without extraction.
WATCHED_SEEDS = ("deployment_definitions", "incident_definitions", "rework_definitions", "services", "dora_benchmarks")

UNFINISHED_RUNS = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                   DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
WAREHOUSE_TAG = "dora/warehouse"


def build_jobs(warehouse: str):
    """The refresh job, and a rebuild job per watched seed, tagged with the warehouse they write."""
    tags = {WAREHOUSE_TAG: warehouse}
    refresh = define_asset_job("refresh", selection=AssetSelection.all(), tags=tags,
                               description="Extract, rebuild and publish everything.")
    rebuilds = {
        seed: define_asset_job(
            f"rebuild_after_{seed}_edit",
            selection=AssetSelection.assets(AssetKey(["definitions", seed])).downstream(),
            tags=tags,
            description=f"Rebuild what depends on {seed}.csv after an edit (no extraction).",
        )
        for seed in WATCHED_SEEDS
    }
    return refresh, rebuilds


def refresh_selection(asset_graph) -> list[AssetKey]:
    """Every executable asset, except the raw tables of a source that is not configured: such a
    source is skipped, not failed (its dataset is `raw_<source>`, docs/raw-tables.md)."""
    unconfigured = {f"raw_{source}" for source in REQUIRED if missing_settings(source)}
    return [
        key
        for key in asset_graph.get_all_asset_keys()
        if asset_graph.get(key).is_executable and key.path[0] not in unconfigured
    ]


def build_refresh_schedule(refresh_job):
    """Hourly by default (DORA_SCHEDULE, read when the definitions are built, takes any cron),
    running as soon as the daemon runs. A tick finding a refresh still queued or running
    (waiting for a rate limit, say) is skipped, so runs never pile up behind it; the next
    refresh resumes an unfinished backfill itself."""

    @schedule(
        job=refresh_job,
        cron_schedule=os.environ.get("DORA_SCHEDULE", "0 * * * *"),
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def refresh_schedule(context: ScheduleEvaluationContext):
        waiting = RunsFilter(job_name=refresh_job.name, statuses=UNFINISHED_RUNS)
        if context.instance.get_runs_count(filters=waiting):
            return SkipReason("A refresh is still queued or running: this tick is skipped.")
        return RunRequest(asset_selection=refresh_selection(context.repository_def.asset_graph))

    return refresh_schedule


def seed_fingerprints(definitions_dir: Path) -> dict[str, str]:
    """A content hash per watched seed file ('' for a missing file)."""
    fingerprints = {}
    for seed in WATCHED_SEEDS:
        path = definitions_dir / f"{seed}.csv"
        fingerprints[seed] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
    return fingerprints


def build_definitions_sensor(rebuild_jobs: dict):
    """`definitions_changed`: a rebuild of what depends on each edited definition file."""

    @sensor(
        jobs=list(rebuild_jobs.values()),
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Rebuilds what depends on a definition file when it is edited.",
    )
    def definitions_changed(context: SensorEvaluationContext, install: InstallResource):
        current = seed_fingerprints(install.definitions)
        previous = json.loads(context.cursor) if context.cursor else None
        context.update_cursor(json.dumps(current, sort_keys=True))
        if previous is None:
            return SkipReason("First look at the definition files: remembered, nothing to rebuild.")
        changed = [seed for seed in WATCHED_SEEDS if current[seed] != previous.get(seed)]
        if not changed:
            return SkipReason("No definition file changed.")
        return [RunRequest(run_key=f"{seed}:{current[seed]}", job_name=rebuild_jobs[seed].name) for seed in changed]

    return definitions_changed
