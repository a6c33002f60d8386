"""The Dagster definitions and the `dora` commands that drive them, against the simulated org."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import duckdb
import pytest
from click.testing import CliRunner
from dagster import (
    AssetKey,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from dora.cli import main
from dora.demo import demo_environment
from dora.core.home import DBT_PROJECT_DIR, Home, definitions_dir
from dora.core.warehouse_lock import run_lock
from orchestration.automation import build_definitions_sensor
from orchestration.definitions import build_definitions
from simorg.generate import generate_scenario
from simorg.server import SimulatedOrg

RAW_TABLES = [
    "raw_github/pull_requests",
    "raw_github/workflow_runs",
    "raw_github/releases",
    "raw_github/deployments",
    "raw_pagerduty/incidents",
    "raw_pagerduty/services",
    "raw_custom/deployments",
    "raw_custom/incidents",
]
MARTS = ["marts/deployments", "marts/changes", "marts/incidents", "marts/dora_weekly", "marts/dora_summary"]
SEEDS = [
    "definitions/deployment_definitions",
    "definitions/incident_definitions",
    "definitions/services",
    "definitions/dora_benchmarks",
]


def key(path: str) -> AssetKey:
    return AssetKey(path.split("/"))


@pytest.fixture(scope="module")
def loaded_definitions(tmp_path_factory):
    """Definitions of an empty install where nothing is configured."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DORA_HOME", str(tmp_path_factory.mktemp("empty_home")))
        yield build_definitions(Home.from_env())


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
    # Lineage joins: each dbt staging model reads the asset that dlt loads (no dangling source assets).
    assert key("raw_github/pull_requests") in graph.get(key("staging/stg_github__pull_requests")).parent_keys
    assert key("raw_pagerduty/incidents") in graph.get(key("staging/stg_pagerduty__incidents")).parent_keys
    assert key("raw_custom/deployments") in graph.get(key("staging/stg_custom__deployments")).parent_keys
    assert graph.get(key("raw_github/pull_requests")).parent_keys == set()
    assert set(map(key, MARTS)) <= graph.get(key("published_marts")).parent_keys
    # Raw tables carry a freshness policy; dbt tests arrive as asset checks on the models.
    assert graph.get(key("raw_pagerduty/incidents")).freshness_policy is not None
    checked = {check.asset_key.to_user_string() for check in graph.asset_check_keys}
    assert {"marts/deployments", "marts/quarantine", "history/deployment_history"} <= checked


def test_schedule_and_sensor_run_by_default(loaded_definitions):
    schedule = loaded_definitions.resolve_schedule_def("refresh_schedule")
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert loaded_definitions.resolve_sensor_def("definitions_changed").default_status == DefaultSensorStatus.RUNNING


def test_the_schedule_skips_its_tick_while_a_refresh_is_queued_or_running(loaded_definitions):
    # A refresh waiting for a rate limit must not have the next hourly ticks queue up behind it.
    schedule = loaded_definitions.resolve_schedule_def("refresh_schedule")
    repository = loaded_definitions.get_repository_def()
    with instance_for_test() as instance:  # persistent: a schedule context needs an instance ref

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


def test_rebuild_after_a_seed_edit_selects_no_extraction(loaded_definitions):
    job = loaded_definitions.resolve_job_def("rebuild_after_services_edit")
    selected = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {"definitions/services", "marts/deployments", "marts/dora_summary", "published_marts", "dashboard"} <= selected
    assert not selected & set(RAW_TABLES)
    assert "history/deployment_history" not in selected  # services are mapped downstream of history


def test_sensor_requests_a_run_after_a_definition_edit_and_not_otherwise(tmp_path):
    seeds = shutil.copytree(definitions_dir(), tmp_path / "seeds")
    sensor = build_definitions_sensor(seeds)

    def tick(cursor):
        context = build_sensor_context(cursor=cursor)
        result = sensor(context)
        return result, context.cursor

    first, cursor = tick(None)
    assert isinstance(first, SkipReason)  # the first look only remembers the files
    unchanged, cursor = tick(cursor)
    assert isinstance(unchanged, SkipReason)

    with open(seeds / "services.csv", "a") as handle:
        handle.write("checkout,Storefront,acme/checkout-*,checkout\n")
    edited, cursor = tick(cursor)
    assert [r.job_name for r in edited] == ["rebuild_after_services_edit"]
    assert all(isinstance(r, RunRequest) for r in edited)

    again, cursor = tick(cursor)
    assert isinstance(again, SkipReason)


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
    # The second materialization in the same process (dagster-dlt 0.29 breaks on it by default).
    second = CliRunner().invoke(main, ["run"])
    out, _ = reader.communicate("\n", timeout=60)
    assert second.exit_code == 0, second.output
    assert int(out) == before  # the reader kept its consistent snapshot
    assert published_count(home, "marts.deployments") == before  # no new data at the source: same result


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


def test_dora_run_with_nothing_configured_names_the_keys_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(tmp_path))
    for name in ["SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__GITHUB__OWNER", "SOURCES__GITHUB__REPOSITORIES", "SOURCES__PAGERDUTY__API_KEY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/ config here
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1
    assert "No source is configured" in result.output
    for env in ["SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__GITHUB__OWNER", "SOURCES__GITHUB__REPOSITORIES", "SOURCES__PAGERDUTY__API_KEY"]:
        assert env in result.output


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
