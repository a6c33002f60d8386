"""The Dagster definitions and the `dora` commands that drive them, against the simulated org."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from click.testing import CliRunner
from dagster import (
    AssetKey,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from dora.cli import main
from dora.demo import demo_environment
from dora.core.home import DBT_PROJECT_DIR, Home, definitions_dir
from dora.core.warehouse_lock import run_lock
from orchestration.automation import build_refresh_schedule
from orchestration.definitions import build_definitions
from orchestration.ingestion import build_ingestion_assets
from orchestration.install import InstallResource
from simorg.generate import generate_scenario
from simorg.server import SimulatedOrg

RAW_TABLES = [
    "raw_github/pull_requests",
    "raw_github/workflow_runs",
    "raw_github/releases",
    "raw_github/deployments",
    "raw_github/issues",
    "raw_pagerduty/incidents",
    "raw_pagerduty/services",
    "raw_custom/deployments",
    "raw_custom/incidents",
    "raw_custom/cdevents",
]
MARTS = ["marts/deployments", "marts/changes", "marts/incidents", "marts/dora_weekly", "marts/dora_summary",
         "marts/dora_levels"]
SEEDS = [
    "definitions/deployment_definitions",
    "definitions/incident_definitions",
    "definitions/rework_definitions",
    "definitions/services",
    "definitions/dora_benchmarks",
]


def key(path: str) -> AssetKey:
    return AssetKey(path.split("/"))


@pytest.fixture(scope="module")
def definitions_dir_copy(tmp_path_factory):
    return shutil.copytree(definitions_dir(), tmp_path_factory.mktemp("definitions") / "seeds")


@pytest.fixture(scope="module")
def loaded_definitions(tmp_path_factory, definitions_dir_copy):
    """Definitions of an empty install with its own definition files, a 15-minute schedule and a
    5-hour freshness window (read when the definitions are built; the settings end with the build)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DORA_HOME", str(tmp_path_factory.mktemp("empty_home")))
        mp.setenv("DORA_DEFINITIONS_DIR", str(definitions_dir_copy))
        mp.setenv("DORA_SCHEDULE", "*/15 * * * *")
        mp.setenv("DORA_FRESHNESS_HOURS", "5")
        return build_definitions(Home.from_env(), definitions_dir())


@pytest.fixture
def nothing_configured(tmp_path, monkeypatch):
    """No source setting in the environment, and no .dlt/ configuration in the directory."""
    for name in list(os.environ):
        if name.startswith("SOURCES__"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_every_asset_is_present_grouped_and_joined(loaded_definitions):
    graph = loaded_definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = set(RAW_TABLES + MARTS + SEEDS + ["published_marts", "dashboard", "history/deployment_history", "history/incident_history"])
    assert expected <= keys

    groups = {path: graph.get(key(path)).group_name for path in ["raw_github/pull_requests", "definitions/services", "history/deployment_history", "marts/dora_summary", "published_marts"]}
    assert groups == {
        "raw_github/pull_requests": "ingestion",
        "definitions/services": "definitions",
        "history/deployment_history": "history",
        "marts/dora_summary": "marts",
        "published_marts": "marts",
    }
    # Lineage joins: the models read the assets dlt loads (no dangling source assets), through the
    # staging and candidates models, which are inlined (ephemeral) and so are no assets of their own,
    # but for the few that are views or tables.
    assert key("raw_github/pull_requests") in graph.get(key("staging/stg_github__pull_requests")).parent_keys
    assert key("staging/stg_github__pull_requests") in graph.get(key("history/pull_request_history")).parent_keys
    assert key("raw_pagerduty/incidents") in graph.get(key("history/incident_history")).parent_keys
    assert key("raw_custom/deployments") in graph.get(key("candidates/int_deployment_candidates")).parent_keys
    assert key("raw_custom/cdevents") in graph.get(key("history/incident_history")).parent_keys
    assert {k for k in keys if k.split("/")[0] in ("staging", "candidates")} == {
        "staging/stg_github__pull_requests",  # a view: the revert candidates read it three times
        "candidates/int_deployment_candidates", "candidates/int_deployment_candidate_events",  # unit-test inputs
        "candidates/int_repository_names", "candidates/int_pagerduty_service_names"}
    assert graph.get(key("raw_github/pull_requests")).parent_keys == set()
    assert set(map(key, MARTS)) <= graph.get(key("published_marts")).parent_keys
    # Raw tables carry a freshness policy; dbt tests arrive as asset checks on the models.
    assert graph.get(key("raw_pagerduty/incidents")).freshness_policy is not None
    checked = {check.asset_key.to_user_string() for check in graph.asset_check_keys}
    assert {"marts/deployments", "marts/quarantine", "history/deployment_history"} <= checked


def test_schedule_and_sensor_run_by_default_and_the_schedule_follows_dora_schedule(loaded_definitions, monkeypatch):
    schedule = loaded_definitions.resolve_schedule_def("refresh_schedule")
    assert schedule.cron_schedule == "*/15 * * * *"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert loaded_definitions.resolve_sensor_def("definitions_changed").default_status == DefaultSensorStatus.RUNNING
    monkeypatch.delenv("DORA_SCHEDULE", raising=False)
    assert build_refresh_schedule(loaded_definitions.resolve_job_def("refresh")).cron_schedule == "0 * * * *"  # hourly


@pytest.fixture
def dagster_instance():
    """The instance a schedule tick asks whether a refresh is still running (persistent: a
    schedule context needs an instance ref)."""
    with instance_for_test() as instance:
        yield instance


def test_the_schedule_skips_its_tick_while_a_refresh_is_queued_or_running(loaded_definitions, dagster_instance):
    # A refresh waiting for a rate limit must not have the next hourly ticks queue up behind it.
    schedule = loaded_definitions.resolve_schedule_def("refresh_schedule")
    repository = loaded_definitions.get_repository_def()
    instance = dagster_instance

    def tick():
        return schedule.evaluate_tick(build_schedule_context(instance=instance, repository_def=repository))

    assert len(tick().run_requests) == 1
    for status in (DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED):
        instance.add_run(DagsterRun(job_name="refresh", run_id=f"run-{status.value}", status=status))
        skipped = tick()
        assert (skipped.run_requests, skipped.skip_message) == (
            [], "A refresh is still queued or running: this tick is skipped.")
        instance.delete_run(f"run-{status.value}")
    instance.add_run(DagsterRun(job_name="refresh", run_id="done", status=DagsterRunStatus.FAILURE))
    assert len(tick().run_requests) == 1  # a finished run (even a failed one) holds nothing up


def test_raw_tables_are_stale_after_dora_freshness_hours(loaded_definitions, home, monkeypatch):
    graph = loaded_definitions.resolve_asset_graph()
    assert {graph.get(key(raw)).freshness_policy.fail_window.to_timedelta() for raw in RAW_TABLES} == {
        timedelta(hours=5)}
    monkeypatch.delenv("DORA_FRESHNESS_HOURS", raising=False)
    [policy] = {spec.freshness_policy.fail_window.to_timedelta()
                for assets in build_ingestion_assets(InstallResource(home_dir=str(home.root), definitions_dir=str(definitions_dir())))
                for spec in assets.specs}
    assert policy == timedelta(hours=2)  # two missed hourly runs by default


def test_a_schedule_tick_refreshes_everything_but_the_unconfigured_sources(loaded_definitions, nothing_configured,
                                                                          dagster_instance, monkeypatch):
    schedule = loaded_definitions.resolve_schedule_def("refresh_schedule")

    def tick() -> set[str]:
        context = build_schedule_context(instance=dagster_instance,
                                         repository_def=loaded_definitions.get_repository_def(),
                                         scheduled_execution_time=datetime(2026, 11, 20, 10, 15, tzinfo=timezone.utc))
        [request] = schedule.evaluate_tick(context).run_requests  # of the schedule's job, `refresh`
        return {asset.to_user_string() for asset in request.asset_selection}

    nothing_configured = tick()
    assert set(MARTS + SEEDS + ["published_marts", "dashboard", "raw_custom/deployments"]) <= nothing_configured
    assert not {raw for raw in RAW_TABLES if not raw.startswith("raw_custom/")} & nothing_configured
    monkeypatch.setenv("SOURCES__PAGERDUTY__API_KEY", "pd_x")
    assert tick() - nothing_configured == {"raw_pagerduty/incidents", "raw_pagerduty/services"}


# What a rebuild after an edit selects: the seed and what depends on it, never a raw table (no
# extraction), and not the history of the other kind nor what does not read the seed.
REBUILDS = {
    "deployment_definitions": (
        ["history/deployment_history", "marts/deployments", "marts/changes", "marts/dora_weekly", "marts/quarantine"],
        ["history/incident_history", "history/pull_request_history", "definitions/services"]),
    "incident_definitions": (
        ["history/incident_history", "marts/incidents", "marts/deployments", "marts/dora_summary"],
        ["history/deployment_history", "history/pull_request_history", "marts/changes"]),
    "services": (
        ["intermediate/int_deployments_mapped", "marts/deployments", "marts/incidents", "marts/changes"],
        ["history/deployment_history", "history/incident_history"]),
    "dora_benchmarks": (
        ["marts/dora_summary"],
        ["marts/deployments", "marts/dora_weekly", "history/deployment_history"]),
}


def test_a_definition_edit_makes_the_sensor_request_a_rebuild_of_what_depends_on_it(
        loaded_definitions, definitions_dir_copy):
    sensor = loaded_definitions.resolve_sensor_def("definitions_changed")

    def tick(cursor):
        context = build_sensor_context(cursor=cursor, repository_def=loaded_definitions.get_repository_def(),
                                       resources={"install": loaded_definitions.resources["install"]})
        result = sensor.evaluate_tick(context)
        return result, result.cursor

    first, cursor = tick(None)
    assert (first.run_requests, first.skip_message) == (
        [], "First look at the definition files: remembered, nothing to rebuild.")
    unchanged, cursor = tick(cursor)
    assert (unchanged.run_requests, unchanged.skip_message) == ([], "No definition file changed.")

    for seed, (selected, left_out) in REBUILDS.items():
        with open(definitions_dir_copy / f"{seed}.csv", "a") as handle:
            handle.write("\n")  # any edit changes the file's fingerprint
        edited, cursor = tick(cursor)
        [request] = edited.run_requests
        job = loaded_definitions.resolve_job_def(request.job_name)
        rebuilt = {asset.to_user_string() for asset in job.asset_layer.executable_asset_keys}
        assert {f"definitions/{seed}", *selected, "published_marts", "dashboard"} <= rebuilt, seed
        assert not rebuilt & {*RAW_TABLES, *left_out}, seed
    again, cursor = tick(cursor)
    assert again.run_requests == []


@pytest.fixture(scope="module")
def simulated_install(tmp_path_factory):
    """A small simulated org and a fresh data directory pointed at it."""
    scenario = generate_scenario(datetime.now(timezone.utc).replace(microsecond=0), teams=1, repos_per_team=2, months=2)
    with SimulatedOrg(scenario) as org, pytest.MonkeyPatch.context() as mp:
        home_dir = tmp_path_factory.mktemp("home")
        mp.setenv("DORA_DEFINITIONS_DIR", str(shutil.copytree(definitions_dir(), home_dir / "definitions")))
        mp.setenv("DORA_HOME", str(home_dir))
        mp.setenv("DAGSTER_HOME", str(home_dir / "dagster"))
        for name, value in demo_environment(org, scenario).items():
            mp.setenv(name, value)
        yield Home.from_env()


def published_count(home: Home, table: str) -> int:
    with duckdb.connect(str(home.published), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_dora_run_twice_in_one_process_while_a_reader_holds_the_published_file(simulated_install):
    home = simulated_install
    first = CliRunner().invoke(main, ["run"])
    assert first.exit_code == 0, first.output
    assert "DORA metrics, whole organisation, last 30 days:" in first.output
    assert "  ✓ dora_dbt" in first.output and "  ✓ dashboard" in first.output
    assert published_count(home, "marts.deployments") > 0
    assert home.dashboard.exists()
    # dbt reads the definition files and never writes them (it would, for a seed path outside its project).
    for seed in (home.root / "definitions").glob("*.csv"):
        assert seed.read_bytes() == (DBT_PROJECT_DIR / "seeds" / seed.name).read_bytes(), seed.name

    # A BI tool in another process keeps the published file open through the next run.
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(home.published)!r}, read_only=True)
            print(con.execute("select count(*) from marts.deployments").fetchall()[0][0], flush=True)
            sys.stdin.readline()
            print(con.execute("select count(*) from marts.deployments").fetchall()[0][0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    before = int(reader.stdout.readline())
    # New data at the source between the runs: a deployment recorded through the custom API
    # (counted by the shipped custom-api-deployments definition).
    an_hour_ago = f"{datetime.now(timezone.utc) - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    recorded = CliRunner().invoke(main, ["record", "deployment", "--service", "checkout", "--environment", "production",
                                         "--sha", "abc1234", "--at", an_hour_ago, "--id", "between-runs"])
    assert recorded.exit_code == 0, recorded.output
    # The second materialization in the same process (dagster-dlt 0.29 breaks on it by default).
    second = CliRunner().invoke(main, ["run"])
    out, _ = reader.communicate("\n", timeout=60)
    assert second.exit_code == 0, second.output
    assert int(out) == before  # the reader kept its consistent snapshot
    assert published_count(home, "marts.deployments") == before + 1  # a new reader sees the new deployment
    # Both runs' dbt wrote to one target directory, not one each (which would pile up run after run).
    assert sorted(path.name for path in (home.root / "dbt" / "target").glob("dora_dbt*")) == ["dora_dbt"]

    # A third run finds nothing new at the source (the org is unchanged; dlt still records a load):
    # no dbt, no publish, no dashboard; readers keep the same published file.
    published_version = home.published.resolve()
    dashboard_written = home.dashboard.stat().st_mtime_ns
    third = CliRunner().invoke(main, ["run"])
    assert third.exit_code == 0, third.output
    assert "Nothing new since the last publish" in third.output
    assert "  – published_marts: skipped" in third.output and "  – dashboard: skipped" in third.output
    assert home.published.resolve() == published_version
    assert home.dashboard.stat().st_mtime_ns == dashboard_written
    # dbt did not run: its results are older than the second run's dashboard
    assert (home.root / "dbt" / "target" / "dora_dbt" / "run_results.json").stat().st_mtime_ns <= dashboard_written
    assert "DORA metrics, whole organisation, last 30 days:" in third.output


def test_status_reports_last_run_freshness_and_counts(simulated_install):
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert "Last run: refresh at" in result.output and "success" in result.output
    assert "github.pull_requests" in result.output
    assert "marts.deployments" in result.output and "history.deployment_history" in result.output


def test_a_second_run_exits_at_once_while_one_is_in_progress(simulated_install):
    with run_lock(simulated_install) as acquired:
        assert acquired
        result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert "Another run is in progress" in result.output


def test_dora_run_with_nothing_configured_names_the_keys_to_set(tmp_path, monkeypatch, nothing_configured):
    monkeypatch.setenv("DORA_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert "No source is configured" in result.output
    for env in ["SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__GITHUB__OWNER", "SOURCES__GITHUB__REPOSITORIES", "SOURCES__PAGERDUTY__API_KEY"]:
        assert env in result.output
    assert "custom API: record a deployment or an incident (dora record, dora serve)" in result.output


@pytest.mark.slow
def test_dora_demo_runs_and_prints_the_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    before = dict(os.environ)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    # The simulated org's settings are not left behind in the process (later runs would use them).
    assert not {name for name in os.environ if name.startswith("SOURCES__") or name == "DORA_DEFINITIONS_DIR"} - set(before)
    assert "DORA metrics, whole organisation, last 30 days:" in result.output
    assert f"Dashboard:       {tmp_path / 'demo' / 'dashboard.html'}" in result.output
    home = Home(tmp_path / "demo")
    # The demo maps each product's repositories and PagerDuty service to one service, so
    # incidents attribute to deployments and the change failure rate has something to count.
    with duckdb.connect(str(home.published), read_only=True) as con:
        attributed = con.execute("select count(*) from marts.incidents where deployment_id is not null").fetchall()[0][0]
        # The demo's GitLab team owns `catalog`: its push pipelines on main are its deployments and
        # its Jira incidents (OPS, component catalog) attribute to them.
        gitlab_deployments = con.execute(
            "select count(*) from marts.deployments where method = 'gitlab_pipeline' and service = 'catalog'"
        ).fetchall()[0][0]
        jira_incidents, attributed_to_gitlab = con.execute(
            """select count(*), count(deployments.deployment_id) from marts.incidents
               left join marts.deployments on incidents.deployment_id = deployments.deployment_id
                   and deployments.method = 'gitlab_pipeline' and deployments.service = 'catalog'
               where incidents.source = 'jira_issue' and incidents.definition_id = 'jira-incidents'
                   and incidents.service = 'catalog'"""
        ).fetchall()[0]
    assert attributed > 0
    assert gitlab_deployments > 0
    assert jira_incidents > 0
    assert attributed_to_gitlab > 0
    assert "  rework rate " in result.output
    # The demo's reverts, hotfixes and GitHub issues fill every new column: rework of each kind,
    # failures from reverts and GitHub issues with their reasons, why each change shipped, the
    # rework rate of the summary and of the weekly trend, and the levels in force.
    with duckdb.connect(str(home.published), read_only=True) as con:
        rework_kinds = con.execute("""
            select count(*) filter (where rework_reason like '%shipped revert%'),
                   count(*) filter (where rework_reason like '%(definition hotfix-branches)%'),
                   count(*) filter (where rework_reason like '%was open (definition during-open-incident)%')
            from marts.deployments where is_rework""").fetchall()[0]
        failures = con.execute("""
            select count(*) filter (where source = 'revert'), count(*) filter (where source = 'github_issue')
            from marts.incidents where deployment_id is not null""").fetchall()[0]
        unexplained = con.execute(
            "select count(*) from marts.deployments where is_failed <> (failure_reason is not null)").fetchall()[0][0]
        reverted = con.execute(
            "select count(*) from marts.deployments where failure_reason like 'reverted by %'").fetchall()[0][0]
        ship_reasons = {reason for (reason,) in con.execute("select distinct shipped_by_reason from marts.changes").fetchall()}
        org_rework = con.execute("select rework_rate from marts.dora_summary where scope = 'org' and window_days = 30 "
                                 "and window_offset = 0").fetchall()[0][0]
        weekly_rework = con.execute("select count(*) from marts.dora_weekly where rework_rate > 0").fetchall()[0][0]
        levels = con.execute("select count(*) from marts.dora_levels").fetchall()[0][0]
    assert min(rework_kinds) > 0, rework_kinds
    assert min(failures) > 0, failures
    assert (unexplained, reverted > 0) == (0, True)
    assert {"merge commit deployed", "merged before the deployed commit and not shipped earlier"} <= ship_reasons
    assert org_rework > 0 and weekly_rework > 0
    assert levels == 16
