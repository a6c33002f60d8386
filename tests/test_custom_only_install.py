"""An install whose only source is the custom API: a team that reports deployments from its own CD
tool and incidents from its own tracker, with no GitHub, GitLab, PagerDuty or Jira configured.

One `dora run` over two records (a deployment from `dora record`, an incident from `dora serve`),
shared by every test of the module; `dora status` reads what that run published.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime

import duckdb
import pytest
from click.testing import CliRunner
from test_custom_api import TOKEN, post

from dora.cli import main
from dora.core.home import Home
from dora.serve import make_server

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

SOURCE_SETTINGS = ("SOURCES__GITHUB__", "SOURCES__PAGERDUTY__", "SOURCES__GITLAB__", "SOURCES__JIRA__")


@pytest.fixture(scope="module")
def custom_only(tmp_path_factory) -> Home:
    """The shipped definitions; a deployment recorded on the command line, an incident caused by
    it posted to the HTTP API; then `dora run`."""
    root = tmp_path_factory.mktemp("custom_only")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # no .dlt/ configuration here
        for name in list(os.environ):
            if name.startswith(SOURCE_SETTINGS) or name == "DORA_DEFINITIONS_DIR":
                mp.delenv(name)
        mp.setenv("DORA_HOME", str(root / "home"))
        mp.setenv("DAGSTER_HOME", str(root / "home" / "dagster"))
        home = Home.from_env().ensure()

        recorded = CliRunner().invoke(main, ["record", "deployment", "--service", "checkout", "--environment",
                                             "production", "--sha", "ABC1234", "--at", "2026-11-16T10:00:00Z",
                                             "--id", "D-1"])
        assert recorded.output == "deployment D-1 created\n"
        server = make_server(home.landing, TOKEN, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        try:
            status, body = post(server.server_address[1], "/incidents", {
                "id": "INC-1", "service": "checkout", "title": "Checkout errors", "deployment_id": "D-1",
                "created_at": "2026-11-16T12:00:00Z", "resolved_at": "2026-11-16T13:30:00+00:00"})
        finally:
            server.shutdown()
            server.server_close()
        assert (status, body) == (201, {"id": "INC-1", "status": "created"})

        result = CliRunner().invoke(main, ["run"])
        assert result.exit_code == 0, result.output
        yield home


def published(home: Home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.published), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_recorded_deployment_and_incident_reach_the_marts(custom_only):
    assert published(custom_only, """
        select deployment_id, service, team, method, definition_id, environment, commit_sha, deployed_at,
               is_failed, incident_count
        from marts.deployments""") == [
        ("custom:D-1", "checkout", None, "custom", "custom-api-deployments", "production", "abc1234",
         datetime(2026, 11, 16, 10), True, 1)]
    # restored 13:30 - 12:00 = 1.5 h after it began, 3.5 h after the deployment that caused it
    assert published(custom_only, """
        select incident_id, service, source, definition_id, time_to_restore_hours, deployment_id, attribution,
               recovery_from_deployment_hours
        from marts.incidents""") == [
        ("custom:INC-1", "checkout", "custom", "custom-api-incidents", 1.5, "custom:D-1", "deployment_id", 3.5)]


def test_status_reports_the_run_and_every_count(custom_only, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(custom_only.root))
    monkeypatch.setenv("DAGSTER_HOME", str(custom_only.dagster_home))
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"Last run: refresh at \d{4}-\d\d-\d\d \d\d:\d\d UTC: success", lines[0]), lines[0]
    loaded = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    assert lines[1:5] == ["", "Freshness (last successful load per source):", lines[3], lines[4]]
    assert re.fullmatch(rf"  custom\.deployments +{loaded} +1 rows", lines[3]), lines[3]
    assert re.fullmatch(rf"  custom\.incidents +{loaded} +1 rows", lines[4]), lines[4]
    # dora_weekly: the week of Nov 16 for the org and for service checkout (no team: no services.csv
    # row); dora_summary: those two scopes x the 30- and 90-day windows
    assert [" ".join(line.split()) for line in lines[5:]] == [
        "",
        "History and marts (published):",
        "history.deployment_history 1 rows",
        "history.incident_history 1 rows",
        "history.merge_request_history 0 rows",
        "history.pull_request_history 0 rows",
        "marts.changes 0 rows",
        "marts.deployments 1 rows",
        "marts.dora_levels 16 rows",  # 2023's four metrics x elite, high, medium, low
        "marts.dora_summary 4 rows",
        "marts.dora_weekly 2 rows",
        "marts.incidents 1 rows",
        "marts.quarantine 0 rows",
    ]
