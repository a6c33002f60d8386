"""Faults at the sources: every way GitHub or PagerDuty misbehaves, switched on in the simulated
org. A run either survives the fault (dlt's retries, our rate-limit waits) and stores exactly what
a fault-free run stores, or stops with a message saying what happened and when to retry; the next
healthy run then converges to the fault-free run's tables.

Each fault is first met alone by the extraction it hits (raw tables compared with the baseline's,
row by row); then all survivable faults at once are met by one whole `dora run`, whose published
history and marts are compared with the baseline's, before and after a healthy run.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import click
import duckdb
import pytest
from reliability_fixtures import (
    PAGE_SIZE,
    Install,
    assert_same_tables,
    cursors,
    environment,
    extract,
    raw_snapshot,
    scenario_copy,
    snapshot,
)

import simorg.routes
from dora.core.home import Home
from dora.run_cli import run_pipeline
from simorg.faults import Fault
from simorg.server import SimulatedOrg

pytest_plugins = ["reliability_fixtures"]  # its session fixtures: one baseline run for all three modules

# (fault, the source and resource whose extraction meets it). Retry-After and resets are 1-2 s; the run's
# timeout is 2 s (reliability_fixtures.FAST_RETRIES) and it makes 4 attempts per request.
SURVIVABLE_FAULTS = {
    "github 429 with retry-after": (Fault.too_many_requests(path="graphql", retry_after=1), "github", "pull_requests"),
    "github secondary-limit 403 with retry-after": (Fault.secondary_limit(path="/actions/runs", retry_after=1), "github", "workflow_runs"),
    "github primary-limit 403, reset in 2 s": (Fault.primary_limit(path="/releases", reset_in=2, status=403), "github", "releases"),
    "github primary-limit 429, reset in 2 s": (Fault.primary_limit(path="graphql", reset_in=2, status=429), "github", "pull_requests"),
    "github 5xx burst (3 x 502)": (Fault.server_error(path="graphql", times=3, status=502), "github", "pull_requests"),
    "github 500 on REST": (Fault.server_error(path="/actions/runs", times=2, status=500), "github", "workflow_runs"),
    "github connection cut mid-body": (Fault.cut_connection(path="graphql"), "github", "pull_requests"),
    "github truncated JSON body": (Fault.invalid_json(path="/actions/runs"), "github", "workflow_runs"),
    "github response slower than the timeout": (Fault.slow(path="graphql", seconds=3), "github", "pull_requests"),
    "github GraphQL 200 with errors": (Fault.graphql_errors(times=2), "github", "pull_requests"),
    "pagerduty 429": (Fault.too_many_requests(service="pagerduty", path="/incidents", retry_after=1), "pagerduty", "incidents"),
    "pagerduty 5xx burst (3 x 503)": (Fault.server_error(service="pagerduty", path="/incidents", times=3, status=503), "pagerduty", "incidents"),
    "pagerduty connection cut": (Fault.cut_connection(service="pagerduty", path="/services"), "pagerduty", "services"),
}


def fresh(fault: Fault) -> Fault:
    """A new fault like `fault` (faults count down as they are met)."""
    return Fault(fault.kind, fault.service, fault.path, fault.times, fault.status, fault.seconds)


@pytest.mark.parametrize("name", SURVIVABLE_FAULTS)
def test_each_fault_alone_is_survived_and_stores_exactly_the_clean_rows(settings: Install, tmp_path, name):
    fault, source, resource = SURVIVABLE_FAULTS[name]
    home = Home(tmp_path / "home").ensure()
    settings.org.inject(fresh(fault))

    extract(home, source, resource)

    assert settings.org.faults.pending == []  # the fault was met
    table = f"raw_{source}.{resource}"
    assert_same_tables(raw_snapshot(home.warehouse), {table: settings.raw[table]})


@pytest.mark.slow
def test_a_run_through_every_survivable_fault_publishes_the_clean_runs_tables(settings: Install, tmp_path, monkeypatch):
    # All faults at once: on the GraphQL path one request may meet 429, the primary limit, two
    # 502s... in a row (the queue serves the first matching fault), so allow more attempts.
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "16")
    home = Home(tmp_path / "home")
    settings.org.inject(*(fresh(fault) for fault, _, _ in SURVIVABLE_FAULTS.values()))

    run_pipeline(home, settings.definitions)

    # The faulty run itself converges, so a next healthy run has nothing to repair; that a rerun
    # changes nothing is test_dbt_pipeline.py test_runs_are_idempotent_and_read_only_new_loads and
    # test_orchestration.py test_dora_run_twice_in_one_process_while_a_reader_holds_the_published_file.
    assert settings.org.faults.pending == []
    assert_same_tables(snapshot(home.published), settings.baseline)


@pytest.mark.slow
def test_a_rate_limit_resetting_in_an_hour_stops_the_run_with_the_reset_time(install: Install, tmp_path, monkeypatch, capsys):
    """A spent GraphQL budget (its own org: the budget stays spent) stops GitHub's extraction,
    naming the reset time and how far each resource got; what the REST resources read is stored
    with their cursors, nothing downstream runs. After the reset (a fresh org, same data) the next
    extraction finishes and stores exactly the clean run's raw tables."""
    home = Home(tmp_path / "home")
    scenario = scenario_copy(install)
    definitions = install.env["DORA_DEFINITIONS_DIR"]
    with SimulatedOrg(scenario) as org:
        for key, value in environment(org, scenario, definitions).items():
            monkeypatch.setenv(key, value)
        org.inject(Fault.primary_limit(path="graphql", reset_in=3600, status=403))
        with pytest.raises(click.ClickException) as failure:
            run_pipeline(home, install.definitions)
        expected_reset = datetime.fromtimestamp(time.time() + 3600, timezone.utc)

    captured = capsys.readouterr()
    output = captured.out + captured.err  # progress lines go to stderr, the summary to stdout
    assert "The run failed" in failure.value.message
    # dbt did not run: the log the message points at has the extraction's error
    assert f"{home.run_log} has each failed step's whole error" in failure.value.message
    assert "=== step extract_github failed ===" in home.run_log.read_text()
    assert "GitHub rate limit exhausted" in home.run_log.read_text()
    stated = re.search(r"✗ extract_github: .*github stopped before finishing: GitHub rate limit exhausted \(graphql\);"
                       r" it resets at (\S+ \S+) UTC", output)
    assert stated, output
    reset_at = datetime.strptime(stated.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs((reset_at - expected_reset).total_seconds()) < 60
    assert "max_rate_limit_wait of 5 s" in output
    # Releases need each repository's id from GraphQL once: the one repository with releases stops too.
    # Issues are listed by REST, and a repository's id is needed only once it lists an issue: none here.
    assert ("deployments 0 of 2 repositories done, 2 left; issues 2 of 2 repositories done; pull_requests 0 of 2"
            " repositories done, 2 left; releases 1 of 2 repositories done, 1 left; workflow_runs 2 of 2 repositories"
            " done") in output
    assert "✓ extract_pagerduty" in output and "dora_dbt" not in output  # the failure stops what depends on it
    assert set(cursors(home, "github")) == {"issues", "workflow_runs"}
    assert not home.published.exists()

    # After the reset: the next run's extraction (dbt then rebuilds from these raw tables).
    with SimulatedOrg(scenario) as org:
        for key, value in environment(org, scenario, definitions).items():
            monkeypatch.setenv(key, value)
        extract(home, "github")
    assert_same_tables(raw_snapshot(home.warehouse), install.raw)


def test_pull_requests_updated_between_two_pages_are_caught_by_the_next_run(install: Install, tmp_path, monkeypatch):
    """GitHub pages `updatedAt desc` with offset cursors. A PR of page 2 updated while page 1 is
    being read moves to the top: page 2 then starts with the last PR of page 1 again (stored once:
    merge on id) and the moved PR is not listed in this run. Its new updated_at is past the
    stored cursor, so the next run lists it: the raw table then equals the clean run's but for
    that PR's new updated_at (which no history or mart column keeps)."""
    scenario = scenario_copy(install)
    repo = scenario.repos[0].full_name
    by_update = sorted((pr for pr in scenario.pull_requests if pr.repo == repo), key=lambda pr: pr.updated_at, reverse=True)
    moved = next(pr for pr in reversed(by_update) if pr.merged_at is not None)  # a merged PR on page 2
    assert by_update.index(moved) >= PAGE_SIZE
    real_run_query = simorg.routes.run_query
    touched = []

    def run_query(body, context):
        """Touch `moved` (a comment: only updated_at changes) just before page 2 is served."""
        variables = body.get("variables") or {}
        if "pullRequests" in body["query"] and variables.get("after") and f"{variables['owner']}/{variables['name']}" == repo and not touched:
            moved.updated_at = datetime.now(timezone.utc).replace(microsecond=0)
            touched.append(moved.id)
        return real_run_query(body, context)

    monkeypatch.setattr(simorg.routes, "run_query", run_query)
    home = Home(tmp_path / "home").ensure()
    prs = len(scenario.pull_requests)
    with SimulatedOrg(scenario) as org:
        for key, value in environment(org, scenario, install.env["DORA_DEFINITIONS_DIR"]).items():
            monkeypatch.setenv(key, value)
        extract(home, "github", "pull_requests")
        assert touched == [moved.id]
        ids = [row[0] for row in raw_snapshot(home.warehouse)["raw_github.pull_requests"]]
        assert (len(ids), len(set(ids)), moved.id in ids) == (prs - 1, prs - 1, False)

        extract(home, "github", "pull_requests")  # the next run

    ids = [row[0] for row in raw_snapshot(home.warehouse)["raw_github.pull_requests"]]
    assert (len(ids), len(set(ids)), moved.id in ids) == (prs, prs, True)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select updated_at from raw_github.pull_requests where id = ?", [moved.id]).fetchall() == [
            (moved.updated_at,)
        ]
    without_updated_at = frozenset({"updated_at"})
    assert_same_tables(
        raw_snapshot(home.warehouse, without_updated_at),
        {"raw_github.pull_requests": raw_snapshot(install.baseline_home.warehouse, without_updated_at)["raw_github.pull_requests"]},
    )
