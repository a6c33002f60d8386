"""The whole pipeline (`dora run`: dlt extraction -> dbt build -> publish) against the simulated
org, on a small hand-written scenario whose marts are worked out by hand below, on each warehouse:
DuckDB, and PostgreSQL (`dora run --warehouse postgres` with the connection as its only setting,
the same expected values). Then, on DuckDB, records are deleted at the source, raw is reloaded
from scratch and dbt is run with --full-refresh (nothing may change); then the definitions are
edited (history is re-evaluated where the source still has the record; records gone from the
source keep their verdict). What only a server warehouse has (the password kept out of every file
and output, `dora status` and the readers on the database) is checked on the PostgreSQL run.

Times: d(n, "hh:mm") = n days after M, the Monday three weeks before this week's Monday (UTC).
dora_summary's windows end with today (DORA_WINDOW_END = tomorrow, pinned: the module's runs may
cross midnight), so days 0..13 (weeks M and M+7) always lie inside the 30-day window
[today - 29 days, tomorrow) and days -12 and -11 (week M-14) always before it, whatever weekday
the test runs on.

Services (services.csv): acme/checkout + PagerDuty "Checkout API" -> checkout, team Storefront;
acme/search + "Search API" -> search, team Discovery.

Deployment definitions: checkout-merged = merged_pr acme/checkout into main; search-deploy =
workflow_run acme/search `deploy` on main (conclusion defaults to success); search-production =
github_deployment acme/search (environment production, state success by default).
Incident definitions: paged = pagerduty with urgency high.

acme/checkout PRs (first commit / opened / merged), each merge into main a deployment:
  1001 #1 d-12 08/09/10:00   the repository's first deployment: the baseline, not a change
  1002 #2 d0   08/10/13:00   lead 5, coding 2, review 3, wait 0
  1003 #3 d1   09/09:30/10:00 by renovate[bot]: lead 1, coding 0.5, review 0.5, wait 0
  1004 #4 d1   08/09/12:00 into develop: not a deployment, never shipped
  1005 #5 opened d2, still open: not a candidate
  1006 #6 d7 09/d7 15/d8 15:00: lead 30, coding 6, review 24, wait 0      (deleted later)
  1007 #7 d9 10/10:30/11:00 by dependabot[bot]: lead 1, coding 0.5, review 0.5 (deleted later)
acme/search PRs: 1100 #1 d-11 09/10/11:00 (sha H0), 1101 #2 d1 08/12/14:00 (H1),
  1102 #3 d1 11/15/16:00 (H2), 1103 #4 d7 10/d8 08/d8 09:00 (H3)
acme/search runs (completed at):
  2001 deploy H0 d-11 12:20: baseline (ships 1100, no change)
  2002 deploy H1 started d1 15:00, done 17:00: cut-off = 1101's merge 14:00, so it ships 1101
       only (1102 merged at 16:00, while it ran): lead 17-08 = 9, coding 4, review 2, wait 3
  2003 deploy H2 d1 18:00 conclusion failure: no match
  2004 deploy-canary H2 d2 09:00: no match (workflow `deploy`)
  2005 deploy H3 d8 10:00 (deleted later): ships 1103: lead d8 10 - d7 10 = 24, coding 22,
       review 1, wait 1
acme/search GitHub deployments: 3001 production, ref main, sha H2, statuses in_progress d2 10:00,
  success d2 10:30: deployed 10:30, cut-off 1102's merge: ships 1102: lead d2 10:30 - d1 11:00 =
  23.5, coding 4, review 1, wait 18.5; 3002 staging: no match.
PagerDuty incidents (created - resolved, urgency high unless said):
  PINC1 Checkout d0 15-17:00: latest checkout deployment 1002 (13:00): ttr 2, recovery 4
  PINC2 Search d2 11:00-11:45: latest search deployment 3001 (10:30): ttr 0.75, recovery 1.25
  PINC3 Search low d2 09:30-10:30: not an incident
  PINC4 Checkout low d9 12-13:00: not an incident                       (deleted later)
  PINC5 Checkout d8 16 - d9 16:00: latest checkout deployment 1006 (d8 15:00): ttr 24, recovery 25
                                                                        (deleted later)
  PINC6 Search d-1 08:00, unresolved: latest search deployment 2001 is 235.7 h earlier (> 168):
        not attributed
REWORK (the shipped rework definitions: a deployment while an incident of its service is open,
or one that shipped a revert; no PR here is a revert): of the 7 deployments of the 30 days, the
search ones 2002, 3001 and 2005 happen while PINC6 is open, and checkout's 1007 (d9 11:00) while
PINC5 (d8 16 - d9 16:00) is: 4 of 7. PINC1 (d0 15-17:00) is open during no deployment.
"""

from __future__ import annotations

import json
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from click.testing import CliRunner
from dlt.common.versioned_state import decompress_state
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from dbt_fixtures import PostgresWarehouse, contracted_columns, execute, loaded_columns
from dora.cli import main
from dora.core.definition_preview import Preview, preview
from dora.core.definitions import load_catalog
from dora.core.postgres import PostgresWarehouse as CorePostgresWarehouse
from dora.core.published import PublishedMarts, published_marts
from dora.dashboard.data import collect
from dora.demo import demo_environment
from end_to_end_fixtures import HISTORY_TABLES, MART_TABLES, Install, failed_steps, snapshot
from bench.postgres_cluster import PIPELINE_PASSWORD, PIPELINE_USER
from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    Incident,
    PagerDutyService,
    PullRequest,
    Repo,
    Scenario,
    WorkflowRun,
)
from simorg.server import SimulatedOrg

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

TODAY = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
MONDAY = TODAY - timedelta(days=TODAY.weekday() + 21)

DEPLOYMENT_DEFINITIONS = [
    {"definition_id": "checkout-merged", "method": "merged_pr", "repository": "acme/checkout", "branch": "main"},
    {"definition_id": "search-deploy", "method": "workflow_run", "repository": "acme/search", "branch": "main",
     "workflow": "deploy"},
    {"definition_id": "search-production", "method": "github_deployment", "repository": "acme/search"},
]
INCIDENT_DEFINITIONS = [{"definition_id": "paged", "method": "pagerduty", "urgency": "high"}]
SERVICES = [
    {"service": "checkout", "team": "Storefront", "repository": "acme/checkout", "pagerduty_service": "Checkout*"},
    {"service": "search", "team": "Discovery", "repository": "acme/search", "pagerduty_service": "Search*"},
]
# The edit: bots' merges no longer deploy, canary deploys do, and every urgency pages.
EDITED_DEPLOYMENT_DEFINITIONS = [
    DEPLOYMENT_DEFINITIONS[0] | {"author": "!*bot*"},
    DEPLOYMENT_DEFINITIONS[1] | {"workflow": "deploy*"},
    DEPLOYMENT_DEFINITIONS[2],
]
EDITED_INCIDENT_DEFINITIONS = [{"definition_id": "paged", "method": "pagerduty"}]


def d(day: int, time: str) -> datetime:
    hours, minutes = map(int, time.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


def text(day: int, time: str) -> str:
    """How a mart shows d(day, time): a UTC timestamp cast to varchar."""
    return d(day, time).strftime("%Y-%m-%d %H:%M:%S")


def week(offset_days: int) -> str:
    return (MONDAY + timedelta(days=offset_days)).date().isoformat()


def sha(name: str) -> str:
    return name.encode().hex().ljust(40, "0")


def pull_request(id, repo, number, first_commit, opened, merged, base="main", author="alice", merge_sha=None):
    return PullRequest(repo=repo, number=number, id=id, title=f"PR {number}", author=author, created_at=opened,
                       updated_at=merged or opened, first_commit_at=first_commit, base_ref=base,
                       head_ref=f"feature-{number}", merged_at=merged, closed_at=merged,
                       merge_commit_sha=merge_sha or (sha(f"{repo}#{number}") if merged else None))


WORKFLOW_IDS = {"deploy": 1, "deploy-canary": 2}


def workflow_run(id, workflow, head_sha, started, completed, conclusion="success"):
    return WorkflowRun(repo="acme/search", id=id, workflow_id=WORKFLOW_IDS[workflow], workflow_name=workflow,
                       head_branch="main", head_sha=head_sha, event="push", status="completed",
                       conclusion=conclusion, created_at=started, run_started_at=started, updated_at=completed,
                       actor="ci-bot")


def incident(number, service_id, created, resolved, urgency="high"):
    return Incident(id=f"PINC{number}", incident_number=number, title=f"incident {number}", service_id=service_id,
                    created_at=created, updated_at=resolved or created, urgency=urgency,
                    status="resolved" if resolved else "triggered", resolved_at=resolved)


def build_scenario() -> Scenario:
    checkout, search = "acme/checkout", "acme/search"
    return Scenario(
        repos=[Repo("acme", "checkout", id=11), Repo("acme", "search", id=12)],
        pull_requests=[
            pull_request(1001, checkout, 1, d(-12, "08:00"), d(-12, "09:00"), d(-12, "10:00")),
            pull_request(1002, checkout, 2, d(0, "08:00"), d(0, "10:00"), d(0, "13:00")),
            pull_request(1003, checkout, 3, d(1, "09:00"), d(1, "09:30"), d(1, "10:00"), author="renovate[bot]"),
            pull_request(1004, checkout, 4, d(1, "08:00"), d(1, "09:00"), d(1, "12:00"), base="develop"),
            pull_request(1005, checkout, 5, d(2, "08:00"), d(2, "09:00"), None),
            pull_request(1006, checkout, 6, d(7, "09:00"), d(7, "15:00"), d(8, "15:00")),
            pull_request(1007, checkout, 7, d(9, "10:00"), d(9, "10:30"), d(9, "11:00"), author="dependabot[bot]"),
            pull_request(1100, search, 1, d(-11, "09:00"), d(-11, "10:00"), d(-11, "11:00"), merge_sha=sha("H0")),
            pull_request(1101, search, 2, d(1, "08:00"), d(1, "12:00"), d(1, "14:00"), merge_sha=sha("H1")),
            pull_request(1102, search, 3, d(1, "11:00"), d(1, "15:00"), d(1, "16:00"), merge_sha=sha("H2")),
            pull_request(1103, search, 4, d(7, "10:00"), d(8, "08:00"), d(8, "09:00"), merge_sha=sha("H3")),
        ],
        workflow_runs=[
            workflow_run(2001, "deploy", sha("H0"), d(-11, "12:00"), d(-11, "12:20")),
            workflow_run(2002, "deploy", sha("H1"), d(1, "15:00"), d(1, "17:00")),
            workflow_run(2003, "deploy", sha("H2"), d(1, "17:30"), d(1, "18:00"), conclusion="failure"),
            workflow_run(2004, "deploy-canary", sha("H2"), d(2, "08:30"), d(2, "09:00")),
            workflow_run(2005, "deploy", sha("H3"), d(8, "09:30"), d(8, "10:00")),
        ],
        deployments=[
            Deployment(repo=search, id=3001, sha=sha("H2"), ref="main", environment="production",
                       created_at=d(2, "10:00"), creator="ci-bot",
                       statuses=[DeploymentStatus(4001, "in_progress", d(2, "10:00")),
                                 DeploymentStatus(4002, "success", d(2, "10:30"))]),
            Deployment(repo=search, id=3002, sha=sha("H2"), ref="main", environment="staging",
                       created_at=d(2, "09:15"), creator="ci-bot",
                       statuses=[DeploymentStatus(4003, "success", d(2, "09:30"))]),
        ],
        pagerduty_services=[PagerDutyService("PCHK001", "Checkout API", teams=["Storefront"]),
                            PagerDutyService("PSRC001", "Search API", teams=["Discovery"])],
        incidents=[
            incident(1, "PCHK001", d(0, "15:00"), d(0, "17:00")),
            incident(2, "PSRC001", d(2, "11:00"), d(2, "11:45")),
            incident(3, "PSRC001", d(2, "09:30"), d(2, "10:30"), urgency="low"),
            incident(4, "PCHK001", d(9, "12:00"), d(9, "13:00"), urgency="low"),
            incident(5, "PCHK001", d(8, "16:00"), d(9, "16:00")),
            incident(6, "PSRC001", d(-1, "08:00"), None),
        ],
    )


SEEDS = {"deployment_definitions": DEPLOYMENT_DEFINITIONS, "incident_definitions": INCIDENT_DEFINITIONS,
         "services": SERVICES}
WINDOW_END_SETTING = {"DORA_WINDOW_END": (TODAY + timedelta(days=1)).date().isoformat()}


@dataclass
class Org:
    install: Install
    scenario: Scenario


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    scenario = build_scenario()
    install = Install.create(tmp_path_factory.mktemp("end_to_end"), SEEDS)
    with SimulatedOrg(scenario) as server, pytest.MonkeyPatch.context() as mp:
        environment = {**install.environment(), **demo_environment(server, scenario), **WINDOW_END_SETTING}
        for name, value in environment.items():
            mp.setenv(name, value)
        yield Org(install, scenario)


@pytest.fixture(scope="module")
def duckdb_first_run(org) -> Path:
    org.install.run()
    return org.install.keep_warehouse("first_run")


@dataclass
class PostgresRun:
    warehouse: PostgresWarehouse  # the database, read as the tests' superuser
    install: Install
    environment: dict[str, str]  # what the run had: the install, the org, the connection
    output: str  # what `dora run` printed

    @property
    def pipeline(self) -> CorePostgresWarehouse:
        """The warehouse as the pipeline's account sees it (dlt's credentials of the run)."""
        credentials = PostgresCredentials()
        credentials.parse_native_representation(self.environment["DESTINATION__POSTGRES__CREDENTIALS"])
        return CorePostgresWarehouse(credentials)


@pytest.fixture(scope="module")
def postgres_run(tmp_path_factory, postgres_cluster) -> PostgresRun:
    """The same org and definitions through `dora run --warehouse postgres`, the connection as
    dlt's credentials, a password-protected account owning an empty database."""
    scenario = build_scenario()
    install = Install.create(tmp_path_factory.mktemp("end_to_end_postgres"), SEEDS)
    database = postgres_cluster.create_database(owner=PIPELINE_USER)
    with SimulatedOrg(scenario) as server:
        environment = {**install.environment(), **demo_environment(server, scenario), **WINDOW_END_SETTING,
                       "DESTINATION__POSTGRES__CREDENTIALS": postgres_cluster.pipeline_credentials(database)}
        result = CliRunner().invoke(main, ["run", "--warehouse", "postgres"], env=environment)
        failures = failed_steps(install.home) if result.exit_code else ""
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}\n{failures}"
    return PostgresRun(PostgresWarehouse(postgres_cluster, database), install, environment, result.output)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def first_run(request) -> Path | PostgresWarehouse:
    """The warehouse after the first run: DuckDB's file (a copy), or the PostgreSQL database
    (its published marts, its history)."""
    if request.param == "duckdb":
        return request.getfixturevalue("duckdb_first_run")
    return request.getfixturevalue("postgres_run").warehouse


@dataclass
class AfterDeletions:
    before: dict
    after_full_refresh: dict
    raw_ids: dict


@pytest.fixture(scope="module")
def after_deletions(org, duckdb_first_run):
    """PRs 1006 and 1007, run 2005 and incidents PINC4 and PINC5 vanish at the source; raw is
    reloaded from scratch (extraction only), then dbt build --full-refresh: the one build both
    re-reads every reloaded raw row and is asked to rebuild everything."""
    scenario = org.scenario
    scenario.pull_requests = [pr for pr in scenario.pull_requests if pr.id not in (1006, 1007)]
    scenario.workflow_runs = [run for run in scenario.workflow_runs if run.id != 2005]
    scenario.incidents = [i for i in scenario.incidents if i.id not in ("PINC4", "PINC5")]
    org.install.refresh_raw()
    org.install.extract()
    raw_ids = {table: sorted(row[0] for row in org.install.query(f"select id from {table}"))
               for table in ["raw_github.pull_requests", "raw_github.workflow_runs", "raw_pagerduty.incidents"]}
    org.install.dbt_full_refresh()
    return AfterDeletions(snapshot(duckdb_first_run),
                          snapshot(org.install.keep_warehouse("after_full_refresh")), raw_ids)


@pytest.fixture(scope="module")
def after_edit(org, after_deletions):
    org.install.write_definitions({"deployment_definitions": EDITED_DEPLOYMENT_DEFINITIONS,
                                   "incident_definitions": EDITED_INCIDENT_DEFINITIONS})
    org.install.run()
    return org.install.keep_warehouse("after_edit")


def query(warehouse: Path | PostgresWarehouse, sql: str) -> list[tuple]:
    """The rows of a query, floats rounded to 6 decimals (the warehouses' last bits may differ)."""
    return [tuple(round(value, 6) if isinstance(value, float) else value for value in row)
            for row in execute(warehouse, sql)]


# --- the first run --------------------------------------------------------------------------------

def test_deployments_match_their_definitions_and_fail_by_attributed_incidents(first_run):
    assert query(first_run, """
        select deployment_id, service, team, definition_id, deployed_at::varchar, is_failed, incident_count
        from marts.deployments order by deployment_id""") == [
        ("github_deployment:3001", "search", "Discovery", "search-production", text(2, "10:30"), True, 1),  # PINC2
        ("merged_pr:1001", "checkout", "Storefront", "checkout-merged", text(-12, "10:00"), False, 0),
        ("merged_pr:1002", "checkout", "Storefront", "checkout-merged", text(0, "13:00"), True, 1),  # PINC1
        ("merged_pr:1003", "checkout", "Storefront", "checkout-merged", text(1, "10:00"), False, 0),
        ("merged_pr:1006", "checkout", "Storefront", "checkout-merged", text(8, "15:00"), True, 1),  # PINC5
        ("merged_pr:1007", "checkout", "Storefront", "checkout-merged", text(9, "11:00"), False, 0),
        ("workflow_run:2001", "search", "Discovery", "search-deploy", text(-11, "12:20"), False, 0),
        ("workflow_run:2002", "search", "Discovery", "search-deploy", text(1, "17:00"), False, 0),
        ("workflow_run:2005", "search", "Discovery", "search-deploy", text(8, "10:00"), False, 0),
    ]


def test_changes_ship_in_the_first_deployment_past_their_merge(first_run):
    # lead = deployed - first commit; coding = opened - first commit; review = merged - opened;
    # deploy wait = deployed - merged (hours). 1001 and 1100 went out with the baselines.
    assert query(first_run, """
        select change_id, service, deployment_id, lead_time_hours, coding_hours, review_hours, deploy_wait_hours
        from marts.changes order by change_id""") == [
        ("1002", "checkout", "merged_pr:1002", 5.0, 2.0, 3.0, 0.0),
        ("1003", "checkout", "merged_pr:1003", 1.0, 0.5, 0.5, 0.0),
        ("1006", "checkout", "merged_pr:1006", 30.0, 6.0, 24.0, 0.0),
        ("1007", "checkout", "merged_pr:1007", 1.0, 0.5, 0.5, 0.0),
        ("1101", "search", "workflow_run:2002", 9.0, 4.0, 2.0, 3.0),
        ("1102", "search", "github_deployment:3001", 23.5, 4.0, 1.0, 18.5),
        ("1103", "search", "workflow_run:2005", 24.0, 22.0, 1.0, 1.0),
    ]


def test_incidents_are_attributed_to_the_latest_deployment_within_a_week(first_run):
    assert query(first_run, """
        select incident_id, service, team, time_to_restore_hours, deployment_id, attribution,
               recovery_from_deployment_hours
        from marts.incidents order by incident_id""") == [
        ("pagerduty:PINC1", "checkout", "Storefront", 2.0, "merged_pr:1002", "window", 4.0),
        ("pagerduty:PINC2", "search", "Discovery", 0.75, "github_deployment:3001", "window", 1.25),
        ("pagerduty:PINC5", "checkout", "Storefront", 24.0, "merged_pr:1006", "window", 25.0),
        ("pagerduty:PINC6", "search", "Discovery", None, None, None, None),
    ]


WEEKLY = """
    select week_start::varchar, deployments, deployment_days, changes, lead_time_median_hours,
           lead_time_p90_hours, failed_deployments, change_failure_rate, incidents,
           time_to_restore_median_hours, recovery_from_deployment_median_hours
    from marts.dora_weekly where scope = 'org' order by week_start"""


def test_weekly_org_metrics(first_run):
    assert query(first_run, WEEKLY) == [
        # 1001 (d-12) and 2001 (d-11): baselines, no changes
        (week(-14), 2, 2, 0, None, None, 0, 0.0, 0, None, None),
        # PINC6 unresolved and unattributed; no deployment: no failure rate
        (week(-7), 0, 0, 0, None, None, 0, None, 1, None, None),
        # 1002 (d0), 1003, 2002 (d1), 3001 (d2); leads 1, 5, 9, 23.5: median 7, p90 at 2.7 ->
        # 9 + 0.7 * 14.5 = 19.15; failed 1002, 3001; ttr 2, 0.75 -> 1.375; recovery 4, 1.25 -> 2.625
        (week(0), 4, 3, 4, 7.0, 19.15, 2, 0.5, 2, 1.375, 2.625),
        # 2005, 1006 (d8), 1007 (d9); leads 1, 24, 30: median 24, p90 at 1.8 -> 24 + 0.8 * 6 = 28.8;
        # failed 1006 (PINC5: ttr 24, recovery 25)
        (week(7), 3, 2, 3, 24.0, 28.8, 1, round(1 / 3, 6), 1, 24.0, 25.0),
    ]


SUMMARY = """
    select scope_name, window_days, window_end::varchar, deployments, deployments_per_week, changes,
           lead_time_median_hours, failed_deployments, change_failure_rate, incidents,
           time_to_restore_median_hours, deployment_frequency_level, lead_time_level,
           change_failure_rate_level, time_to_restore_level, overall_level
    from marts.dora_summary
    where window_offset = 0 and (scope = 'org' or (scope = 'service' and window_days = 30))
    order by scope, scope_name, window_days"""
WINDOW_END = (TODAY + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")  # DORA_WINDOW_END (org fixture)


def test_summary_over_the_last_30_and_90_days(first_run):
    # Levels (2023 report): deployments/week >= 1 high, >= 0.25 medium; lead <= 24 h elite;
    # failure rate > 0.15 low; time to restore <= 24 h high. Overall: the lowest.
    assert query(first_run, SUMMARY) == [
        # 30 days hold days 0..13: 1002, 1003, 1006, 1007, 2002, 3001, 2005 = 7 -> 7 / (30/7);
        # leads 1, 1, 5, 9, 23.5, 24, 30: median 9; failed 3 of 7; ttr 0.75, 2, 24 (PINC6 open): 2
        ("org", 30, WINDOW_END, 7, round(49 / 30, 6), 7, 9.0, 3, round(3 / 7, 6), 4, 2.0,
         "high", "elite", "low", "high", "low"),
        # 90 days add the baselines 1001 and 2001: 9 / (90/7) = 0.7; failed 3 of 9
        ("org", 90, WINDOW_END, 9, 0.7, 7, 9.0, 3, round(1 / 3, 6), 4, 2.0,
         "medium", "elite", "low", "high", "low"),
        # 1002, 1003, 1006, 1007: 28/30; leads 1, 1, 5, 30: median 3; failed 2 of 4; ttr 2, 24: 13
        ("checkout", 30, WINDOW_END, 4, round(28 / 30, 6), 4, 3.0, 2, 0.5, 2, 13.0,
         "medium", "elite", "low", "high", "low"),
        # 2002, 3001, 2005: 21/30; leads 9, 23.5, 24: 23.5; failed 3001; ttr 0.75 (PINC6 open): elite
        ("search", 30, WINDOW_END, 3, 0.7, 3, 23.5, 1, round(1 / 3, 6), 2, 0.75,
         "medium", "elite", "low", "elite", "low"),
    ]


# --- deletions at the source, raw reloaded from scratch, --full-refresh ---------------------------

def test_raw_was_reloaded_without_the_deleted_records(after_deletions):
    assert after_deletions.raw_ids == {
        "raw_github.pull_requests": [1001, 1002, 1003, 1004, 1005, 1100, 1101, 1102, 1103],
        "raw_github.workflow_runs": [2001, 2002, 2003, 2004],
        "raw_pagerduty.incidents": ["PINC1", "PINC2", "PINC3", "PINC6"],
    }


@pytest.mark.parametrize("table", HISTORY_TABLES + MART_TABLES)
def test_history_and_metrics_are_unchanged_by_deletions_and_full_refresh(after_deletions, table):
    assert after_deletions.after_full_refresh[table] == after_deletions.before[table]


# --- an edited definition -------------------------------------------------------------------------

def test_edited_definitions_re_evaluate_only_records_still_at_the_source(after_edit):
    # Version 2 for every candidate the source still has; the deleted ones keep version 1 and
    # their verdict: 1007 (a bot's merge) still counts, PINC4 (low urgency) still does not.
    assert query(after_edit, """
        select candidate_id, is_deployment, definition_id, definitions_version from history.deployment_history
        order by candidate_id""") == [
        ("github_deployment:3001", True, "search-production", 2),
        ("github_deployment:3002", False, None, 2),  # staging
        ("merged_pr:1001", True, "checkout-merged", 2),
        ("merged_pr:1002", True, "checkout-merged", 2),
        ("merged_pr:1003", False, None, 2),  # renovate[bot]: no longer a deployment
        ("merged_pr:1004", False, None, 2),  # develop
        ("merged_pr:1006", True, "checkout-merged", 1),  # gone at the source
        ("merged_pr:1007", True, "checkout-merged", 1),  # gone at the source: kept although a bot's
        ("merged_pr:1100", False, None, 2),  # search has no merged_pr definition
        ("merged_pr:1101", False, None, 2),
        ("merged_pr:1102", False, None, 2),
        ("merged_pr:1103", False, None, 2),
        ("workflow_run:2001", True, "search-deploy", 2),
        ("workflow_run:2002", True, "search-deploy", 2),
        ("workflow_run:2003", False, None, 2),  # failure
        ("workflow_run:2004", True, "search-deploy", 2),  # deploy-canary now matches deploy*
        ("workflow_run:2005", True, "search-deploy", 1),  # gone at the source
    ]
    assert query(after_edit, """
        select candidate_id, is_incident, definitions_version from history.incident_history
        order by candidate_id""") == [
        ("pagerduty:PINC1", True, 2),
        ("pagerduty:PINC2", True, 2),
        ("pagerduty:PINC3", True, 2),  # low urgency now pages
        ("pagerduty:PINC4", False, 1),  # gone at the source: keeps its verdict
        ("pagerduty:PINC5", True, 1),
        ("pagerduty:PINC6", True, 2),
    ]


def test_edited_definitions_move_the_metrics(after_edit):
    # 1003 leaves: no deployment, and no change (checkout ships only by merged_pr and the baseline).
    # 2004 (d2 09:00, sha H2) arrives: cut-off 1102's merge, so it ships 1102 before 3001 does:
    # lead d2 09:00 - d1 11:00 = 22, wait 17; 3001 ships nothing. PINC3 (d2 09:30) lands on 2004.
    assert query(after_edit, "select deployment_id, is_failed from marts.deployments order by 1") == [
        ("github_deployment:3001", True), ("merged_pr:1001", False), ("merged_pr:1002", True),
        ("merged_pr:1006", True), ("merged_pr:1007", False), ("workflow_run:2001", False),
        ("workflow_run:2002", False), ("workflow_run:2004", True), ("workflow_run:2005", False),
    ]
    assert query(after_edit, """
        select change_id, deployment_id, lead_time_hours, deploy_wait_hours from marts.changes order by 1""") == [
        ("1002", "merged_pr:1002", 5.0, 0.0),
        ("1006", "merged_pr:1006", 30.0, 0.0),
        ("1007", "merged_pr:1007", 1.0, 0.0),
        ("1101", "workflow_run:2002", 9.0, 3.0),
        ("1102", "workflow_run:2004", 22.0, 17.0),
        ("1103", "workflow_run:2005", 24.0, 1.0),
    ]
    assert query(after_edit, """
        select incident_id, deployment_id, time_to_restore_hours, recovery_from_deployment_hours
        from marts.incidents order by 1""") == [
        ("pagerduty:PINC1", "merged_pr:1002", 2.0, 4.0),
        ("pagerduty:PINC2", "github_deployment:3001", 0.75, 1.25),
        ("pagerduty:PINC3", "workflow_run:2004", 1.0, 1.5),
        ("pagerduty:PINC5", "merged_pr:1006", 24.0, 25.0),
        ("pagerduty:PINC6", None, None, None),
    ]
    weekly = query(after_edit, WEEKLY)
    # week 0: 1002, 2002, 2004, 3001 on 3 days; leads 5, 9, 22: median 9, p90 at 1.8 -> 9 + 0.8 * 13
    # = 19.4; failed 1002, 2004, 3001; ttr 0.75, 1, 2 -> 1; recovery 1.25, 1.5, 4 -> 1.5
    assert weekly[2] == (week(0), 4, 3, 3, 9.0, 19.4, 3, 0.75, 3, 1.0, 1.5)
    assert weekly[3] == (week(7), 3, 2, 3, 24.0, 28.8, 1, round(1 / 3, 6), 1, 24.0, 25.0)  # unchanged
    # 30 days: 1002, 1006, 1007, 2002, 2004, 3001, 2005 = 7; leads 1, 5, 9, 22, 24, 30: median
    # 15.5; failed 4 of 7; ttr 0.75, 1, 2, 24: median 1.5
    assert query(after_edit, SUMMARY)[0] == (
        "org", 30, WINDOW_END, 7, round(49 / 30, 6), 6, 15.5, 4, round(4 / 7, 6), 5, 1.5,
        "high", "elite", "low", "high", "low")


def test_the_published_marts_are_the_last_run(org, after_edit):
    published = snapshot(org.install.home.published, MART_TABLES)
    assert published == snapshot(after_edit, MART_TABLES)


def test_dlt_keeps_no_rows_of_loaded_packages(org, after_edit):
    # Three runs loaded GitHub and PagerDuty packages; their rows are in the warehouse, so dlt's
    # directory keeps each package's bookkeeping but none of its row files.
    loaded = sorted(org.install.home.dlt_dir.glob("*/load/loaded/*"))
    assert {package.parts[-4] for package in loaded} >= {"github", "pagerduty"}
    assert [path.name for package in loaded for path in package.rglob("*.gz")] == []


def test_dlt_wrote_the_raw_tables_the_contract_describes(duckdb_first_run):
    """docs/raw-tables.md (the dbt sources YAML) against the tables dlt created: names, types, order."""
    loaded = loaded_columns(duckdb_first_run, ["raw_github", "raw_pagerduty"])
    assert sorted(loaded) == ["raw_github.deployments", "raw_github.pull_requests", "raw_github.workflow_runs",
                              "raw_pagerduty.incidents", "raw_pagerduty.services"]  # no release in the scenario
    assert loaded == contracted_columns(loaded)


# --- what only a server warehouse has, on the PostgreSQL run -------------------------------------

def test_dora_run_on_postgres_says_where_the_marts_are_and_never_the_password(postgres_run, postgres_cluster):
    database = postgres_run.warehouse.name
    location = f"postgresql://{PIPELINE_USER}@127.0.0.1:{postgres_cluster.port}/{database}"
    assert postgres_run.output.splitlines()[-12:] == [
        "",
        "DORA metrics, whole organisation, last 30 days:",
        "  deployment frequency   1.6 per week",  # 7 in 30 days (test_summary_over_the_last_30_and_90_days)
        "  lead time (median)     9.0 h",
        "  change failure rate    43%",  # 3 of 7
        "  time to restore        2.0 h",
        "  rework rate            57%",  # 4 of 7 (REWORK)
        "  overall level          low",
        "",
        f"Warehouse:       {location}",
        f"Published marts: {location}, schema marts  (open read-only from your BI tool)",
        f"Dashboard:       {postgres_run.install.home.dashboard}",
    ]
    assert PIPELINE_PASSWORD not in postgres_run.output


def test_the_password_is_in_no_file_of_the_install_and_not_in_dlt_state(postgres_run):
    files = [path for path in postgres_run.install.home.root.rglob("*") if path.is_file()]
    assert len(files) > 20  # dlt's state, the dbt project and its logs, Dagster's storage, the run log
    assert [path for path in files if PIPELINE_PASSWORD.encode() in path.read_bytes()] == []
    states = execute(postgres_run.warehouse, "select state from raw_github._dlt_pipeline_state "
                                             "union all select state from raw_pagerduty._dlt_pipeline_state")
    assert len(states) >= 2 and all(PIPELINE_PASSWORD not in json.dumps(decompress_state(state), default=str) for (state,) in states)


def test_status_reads_the_warehouse_the_setting_names(postgres_run):
    # WAREHOUSE=postgres (dlt's setting `warehouse`) instead of --warehouse.
    result = CliRunner().invoke(main, ["status"], env={**postgres_run.environment, "WAREHOUSE": "postgres"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert lines[0].startswith("Last run: refresh at ") and lines[0].endswith(": success")
    freshness = {line.split()[0]: line.split()[-2] for line in lines if line.endswith(" rows") and "UTC" in line}
    assert freshness == {"github.deployments": "2", "github.pull_requests": "11", "github.workflow_runs": "5",
                         "pagerduty.incidents": "6", "pagerduty.services": "2"}
    counted = {line.split()[0]: line.split()[1] for line in lines if line.endswith(" rows") and "UTC" not in line}
    assert {table: counted[table] for table in [
        "history.deployment_history", "history.incident_history", "history.pull_request_history",
        "marts.deployments", "marts.changes", "marts.incidents", "marts.quarantine"]} == {
        "history.deployment_history": "17", "history.incident_history": "6", "history.pull_request_history": "10",
        "marts.deployments": "9", "marts.changes": "7", "marts.incidents": "4", "marts.quarantine": "0"}


@pytest.fixture(scope="module")
def published(request, first_run) -> PublishedMarts:
    """What readers see after the first run: DuckDB's marts and history (the warehouse copy), or
    the PostgreSQL warehouse's published schemas, read as the pipeline's account."""
    if isinstance(first_run, Path):
        return published_marts(first_run)
    return request.getfixturevalue("postgres_run").pipeline.published()


def test_a_new_definitions_preview_counts_the_published_history(published, org):
    catalog = load_catalog(org.install.definitions)
    # workflow runs 2001-2005; `deploy*` on main, conclusion success by default: all but 2003
    assert preview(published, "deployment", {"method": "workflow_run", "workflow": "deploy*", "branch": "main"},
                   catalog) == Preview(4, 5)
    # merged PRs 1001-1004, 1006, 1007, 1100-1103; into main and not by a bot: 1001, 1002, 1006, 1100-1103
    assert preview(published, "deployment", {"method": "merged_pr", "branch": "main", "author": "!*bot*"},
                   catalog) == Preview(7, 10)


def test_the_dashboard_reads_the_published_marts(published, tmp_path):
    data = collect(published, tmp_path, datetime.now(timezone.utc))
    tiles = data["scopes"]["org:"]["tiles"]
    assert {metric: round(tile["value"], 6) for metric, tile in tiles.items()} == {
        "deployment_frequency": round(49 / 30, 6), "lead_time": 9.0, "change_failure_rate": round(3 / 7, 6),
        "time_to_restore": 2.0, "rework_rate": round(4 / 7, 6)}  # test_summary_over_the_last_30_and_90_days, REWORK
    assert [week["deployments"] for week in data["scopes"]["org:"]["weekly"]] == [2, 0, 4, 3]


# --- BI readers of the PostgreSQL warehouse (README.md, "Reading the marts on PostgreSQL") --------

def readme_sql(heading: str) -> list[str]:
    """The statements of the first SQL block below `heading` in README.md."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split(heading, 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    return [statement.strip() for statement in block.split(";") if statement.strip()]


def test_a_read_only_role_reads_every_publish_and_a_reader_in_a_transaction_never_holds_one_up(postgres_run):
    database, cluster = postgres_run.warehouse.name, postgres_run.warehouse.cluster
    statements = readme_sql("### Reading the marts on PostgreSQL")
    assert statements[0] == "create role dora_reader login password 'choose-one'"
    with closing(cluster.connect(database)) as admin, admin.cursor() as cursor:
        cursor.execute("drop role if exists dora_reader")  # (a rerun of the module in one cluster)
        cursor.execute(statements[0])
    with closing(postgres_run.pipeline.connect(autocommit=True)) as owner, owner.cursor() as cursor:
        for statement in statements[1:]:
            cursor.execute(statement.replace("database dora", f"database {database}"))
    reader = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="dora_reader", dbname=database)
    try:
        with reader.cursor() as cursor:
            # A BI query's transaction, open on the published marts (holding a lock on its tables)
            cursor.execute("select count(*) from marts.deployments")
            assert cursor.fetchall() == [(9,)]
            started = time.monotonic()
            counts = postgres_run.pipeline.publish()  # what the next run's last step does
            assert time.monotonic() - started < 10  # it never waited for the reader
            assert counts["marts.deployments"] == 9
            # the same transaction's next statement reads the new publish, granted like the old
            cursor.execute("select count(*), min(deployment_id) from marts.deployments")
            assert cursor.fetchall() == [(9, "github_deployment:3001")]
            cursor.execute("select count(*) from meta.source_freshness")
            assert cursor.fetchall() == [(5,)]
            cursor.execute("select count(*) from history.deployment_history")
            assert cursor.fetchall() == [(17,)]
        reader.rollback()
        for forbidden in ("insert into marts.deployments (deployment_id) values ('x')",
                          "select count(*) from raw_github.pull_requests", "create table marts.mine (x int)"):
            with reader.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(forbidden)
            reader.rollback()
    finally:
        reader.close()
    # the reader gone, the next publish drops every replaced version
    postgres_run.pipeline.publish()
    assert execute(postgres_run.warehouse, "select nspname from pg_namespace where nspname like 'm%' order by 1") == [
        ("marts",), ("marts_build",), ("meta",)]
