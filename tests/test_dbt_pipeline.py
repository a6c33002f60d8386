"""The dbt project end to end on one small scenario, every expected value worked out by hand, on
each warehouse (DuckDB, PostgreSQL): the same models must give the same values on both.

Scenario (January 2024; Mondays: Jan 1, 8, 15, 22, 29). Two repositories and a custom service:

acme/api -> service `api`, team `core` (services.csv). Deployed by the `deploy*` workflow on main,
GitHub deployments to production and `v*` releases.
  PRs (id #n: first commit / opened / merged, merge sha):
    101 #1  Jan 1 08/09/10:00 a1          104 #4  Jan 9 10/09/12:00 a4 (first commit after opening)
    102 #2  Jan 2 08/10/12:00 a2          105 #5  Jan 9 13/13:30/14:00 a5
    103 #3  Jan 2 09/11/13:00 a3          106 #6  Jan 3 08/09/10:00 a6, base `develop`
  Runs: 301 deploy-prod a1 done Jan 1 11:00 (the baseline: ships #1, no change)
        302 deploy-prod a2 started Jan 2 12:30, done 14:00: sha a2 -> cut-off 12:00, ships #2 only,
            although #3 merged (13:00) while it ran
        303 deploy-prod a3 re-run (attempt 2) done Jan 2 16:00: ships #3
        304 `tests` workflow (no match); 306 deploy-prod conclusion failure (no match: default success)
        305 deploy-prod sha zzz (no PR) done Jan 9 15:00: cut-off = 15:00, ships #4 and #5
  GitHub deployment 501 production, ref = a sha (no branch): queued Jan 10 08:50, success 09:00,
        then inactive Jan 12 10:00 (a newer deployment succeeded; its latest status): counts at its
        success, 09:00, with that status's log; ships #6 (develop);
        502 staging (loaded before statuses were extracted: its latest status only), 503 in_progress
        then failure, then inactive: no match (defaults production, success).
  Releases: 401 v1.0 on main, Jan 16 10:00 (ships nothing); 402 draft, 403 prerelease, 404 `nightly-1`: no.
acme/web -> service `acme/web` (services.csv maps only its PagerDuty service), no team. merged_pr:
  web-main: main, label !no-deploy, author !*bot*;  web-hotfix: any branch, label hotfix.
    201 #10 main Jan 8 08/09/12:00                    -> deployment, the baseline
    202 #11 main label no-deploy, 203 #12 dependabot[bot], 206 #15 release/1.2 no label -> no
    204 #13 main labels feature,ui Jan 9 08:00 / Jan 9 10:00 / Jan 10 10:00 -> deployment
    205 #14 release/1.2 hotfix Jan 16 09/09:30/11:00  -> deployment (web-hotfix)
    207 #16 main hotfix Jan 24 first commit 12:00 / opened 09:00 / merged 10:00 -> matches both
        definitions: counts once as web-hotfix (alphabetically first); negative lead and coding time
billing (custom API, team `core` by services.csv): dep-1 production Jan 17 08:00; dep-2 staging: no.
Incidents (PagerDuty service `API Production` -> api, `Web Frontend` -> acme/web, `Sandbox` unmapped):
  PI1 api Jan 2 17:00-19:00; PI2 api Jan 20 10:00-10:30; PI3 api Jan 25 12:00 unresolved;
  PI4 Sandbox (PagerDuty team sre) Jan 3 10:00-16:00; PJ1 acme/web Jan 10 11:00-15:00;
  custom (urgent-custom: urgency high): inc-1 billing Jan 30 09:00-10:00 linked to dep-1;
  inc-2 api Jan 11 08:00-12:00 linked to commit a2; inc-3 urgency low: no.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest

from dbt_fixtures import DbtProjectCopy, built_scenario, engine_warehouse, execute, load_rows, query, table_rows

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

# dlt load ids are the load's start in epoch seconds: Feb 1 and Feb 2 2024, 00:00 UTC, after the
# scenario (a record dated more than a day after its load is quarantined).
LOAD_1 = "1706745600.000001"
LOAD_2 = "1706832000.000001"
LOAD_3 = "1706918400.000001"
SHA_F = "f" * 40

DEPLOYMENT_DEFINITIONS = """\
definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag,environment,state,service,project,issue_type,status,component
api-deploy,workflow_run,acme/api,main,,,,deploy*,,,,,,,,,,
api-github,github_deployment,acme/api,,,,,,,,,,,,,,,
api-release,release,acme/api,,,,,,,,v*,,,,,,,
billing-prod,custom,,,,,,,,,,prod*,,billing,,,,
web-hotfix,merged_pr,acme/web,*,hotfix,,,,,,,,,,,,,
web-main,merged_pr,acme/web,main,!no-deploy,!*bot*,,,,,,,,,,,,
"""
INCIDENT_DEFINITIONS = """\
definition_id,method,service,urgency,priority,team,title,project,issue_type,label,component
all-pagerduty,pagerduty,,,,,,,,,
urgent-custom,custom,,high,,,,,,,
"""
SERVICES = """\
service,team,repository,pagerduty_service
api,core,acme/api,API*
acme/web,,,Web*
billing,core,,
"""


def ts(day: int, time: str) -> str:
    return f"2024-01-{day:02d} {time}:00+00"


def pr(id, repo, number, base, first_commit, opened, merged, sha, labels=(), author="dev"):
    return {"id": id, "repository_id": 1 if repo == "acme/api" else 2, "repository": repo, "number": number,
            "title": f"PR {number}", "author": author, "labels": list(labels), "base_ref": base,
            "head_ref": f"feature-{number}", "state": "merged", "created_at": opened, "updated_at": merged,
            "closed_at": merged, "merged_at": merged, "merge_commit_sha": sha, "first_commit_at": first_commit,
            "html_url": f"https://github.com/{repo}/pull/{number}"}


def run(id, workflow, sha, done, conclusion="success", attempt=1, started=None):
    return {"id": id, "repository_id": 1, "repository": "acme/api", "workflow_id": 9, "workflow_name": workflow,
            "head_branch": "main", "head_sha": sha, "event": "push", "status": "completed",
            "conclusion": conclusion, "run_attempt": attempt, "run_started_at": started or done,
            "created_at": started or done, "updated_at": done, "actor": "ci", "html_url": f"https://ci/{id}"}


def release(id, tag, published, draft=False, prerelease=False):
    return {"id": id, "repository_id": 1, "repository": "acme/api", "tag_name": tag, "target_commitish": "main",
            "name": tag, "draft": draft, "prerelease": prerelease, "created_at": published,
            "published_at": published, "author": "rel", "html_url": f"https://rel/{id}"}


def github_deployment(id, environment, statuses, with_history=True):
    """`statuses`: (state, time), oldest first, the last the latest; a success logs to https://log/<id>.
    Without history: a row loaded before the raw table had `statuses` (its latest status only)."""
    listed = [{"state": state, "created_at": at, "log_url": f"https://log/{id}" if state == "success" else None}
              for state, at in statuses]
    return {"id": id, "repository_id": 1, "repository": "acme/api", "sha": SHA_F, "ref": SHA_F, "task": "deploy",
            "environment": environment, "created_at": statuses[0][1], "updated_at": statuses[-1][1],
            "creator": "bot", "latest_status_state": listed[-1]["state"], "latest_status_at": listed[-1]["created_at"],
            "latest_status_log_url": listed[-1]["log_url"], **({"statuses": listed} if with_history else {})}


def pagerduty(id, service, created, resolved, teams=()):
    return {"id": id, "incident_number": 1, "title": f"incident {id}", "status": "resolved" if resolved else "triggered",
            "urgency": "high", "priority": "P1", "service_id": "P" + service.split()[0].upper(), "service_name": service, "teams": list(teams),
            "created_at": created, "resolved_at": resolved, "updated_at": resolved or created,
            "last_status_change_at": resolved or created, "html_url": f"https://pd/{id}"}


def custom_incident(id, service, urgency, created, resolved, deployment_id=None, commit_sha=None):
    return {"id": id, "service": service, "title": f"incident {id}", "urgency": urgency, "priority": None,
            "created_at": created, "resolved_at": resolved, "deployment_id": deployment_id,
            "commit_sha": commit_sha, "url": None, "received_at": created}


RAW = {
    "raw_github.pull_requests": [
        pr(101, "acme/api", 1, "main", ts(1, "08:00"), ts(1, "09:00"), ts(1, "10:00"), "a1"),
        pr(102, "acme/api", 2, "main", ts(2, "08:00"), ts(2, "10:00"), ts(2, "12:00"), "a2"),
        pr(103, "acme/api", 3, "main", ts(2, "09:00"), ts(2, "11:00"), ts(2, "13:00"), "a3"),
        pr(104, "acme/api", 4, "main", ts(9, "10:00"), ts(9, "09:00"), ts(9, "12:00"), "a4"),
        pr(105, "acme/api", 5, "main", ts(9, "13:00"), ts(9, "13:30"), ts(9, "14:00"), "a5"),
        pr(106, "acme/api", 6, "develop", ts(3, "08:00"), ts(3, "09:00"), ts(3, "10:00"), "a6"),
        pr(201, "acme/web", 10, "main", ts(8, "08:00"), ts(8, "09:00"), ts(8, "12:00"), "w1"),
        pr(202, "acme/web", 11, "main", ts(9, "08:00"), ts(9, "09:00"), ts(9, "12:00"), "w2", ["no-deploy"]),
        pr(203, "acme/web", 12, "main", ts(9, "08:00"), ts(9, "09:00"), ts(9, "13:00"), "w3", author="dependabot[bot]"),
        pr(204, "acme/web", 13, "main", ts(9, "08:00"), ts(9, "10:00"), ts(10, "10:00"), "w4", ["feature", "ui"]),
        pr(205, "acme/web", 14, "release/1.2", ts(16, "09:00"), ts(16, "09:30"), ts(16, "11:00"), "w5", ["hotfix"]),
        pr(206, "acme/web", 15, "release/1.2", ts(16, "09:00"), ts(16, "10:00"), ts(16, "12:00"), "w6"),
        pr(207, "acme/web", 16, "main", ts(24, "12:00"), ts(24, "09:00"), ts(24, "10:00"), "w7", ["hotfix"]),
    ],
    "raw_github.workflow_runs": [
        run(301, "deploy-prod", "a1", ts(1, "11:00")),
        run(302, "deploy-prod", "a2", ts(2, "14:00"), started=ts(2, "12:30")),
        run(303, "deploy-prod", "a3", ts(2, "16:00"), attempt=2),
        run(304, "tests", "a4", ts(9, "12:30")),
        run(305, "deploy-prod", "zzz", ts(9, "15:00")),
        run(306, "deploy-prod", "a4", ts(9, "13:00"), conclusion="failure"),
    ],
    "raw_github.releases": [
        release(401, "v1.0", ts(16, "10:00")),
        release(402, "v1.1", ts(17, "10:00"), draft=True),
        release(403, "v1.2", ts(18, "10:00"), prerelease=True),
        release(404, "nightly-1", ts(19, "10:00")),
    ],
    "raw_github.deployments": [
        github_deployment(501, "production", [("queued", ts(10, "08:50")), ("success", ts(10, "09:00")),
                                              ("inactive", ts(12, "10:00"))]),
        github_deployment(502, "staging", [("success", ts(10, "10:00"))], with_history=False),
        github_deployment(503, "production", [("in_progress", ts(10, "10:55")), ("failure", ts(10, "11:00")),
                                              ("inactive", ts(10, "11:05"))]),
    ],
    "raw_custom.deployments": [
        {"id": "dep-1", "service": "billing", "environment": "production", "commit_sha": "b1",
         "deployed_at": ts(17, "08:00"), "received_at": ts(17, "08:00")},
        {"id": "dep-2", "service": "billing", "environment": "staging", "commit_sha": "b2",
         "deployed_at": ts(18, "08:00"), "received_at": ts(18, "08:00")},
    ],
    "raw_pagerduty.incidents": [
        pagerduty("PI1", "API Production", ts(2, "17:00"), ts(2, "19:00")),
        pagerduty("PI2", "API Production", ts(20, "10:00"), ts(20, "10:30")),
        pagerduty("PI3", "API Production", ts(25, "12:00"), None),
        pagerduty("PI4", "Sandbox", ts(3, "10:00"), ts(3, "16:00"), teams=["sre"]),
        pagerduty("PJ1", "Web Frontend", ts(10, "11:00"), ts(10, "15:00")),
    ],
    "raw_custom.incidents": [
        custom_incident("inc-1", "billing", "high", ts(30, "09:00"), ts(30, "10:00"), deployment_id="dep-1"),
        custom_incident("inc-2", "api", "high", ts(11, "08:00"), ts(11, "12:00"), commit_sha="a2"),
        custom_incident("inc-3", "api", "low", ts(12, "08:00"), ts(12, "09:00")),
    ],
    # raw_pagerduty.services is never loaded: a missing table reads as empty.
}

HISTORY_TABLES = ["history.deployment_history", "history.incident_history", "history.pull_request_history"]
MART_TABLES = ["marts.deployments", "marts.changes", "marts.incidents", "marts.dora_weekly", "marts.dora_summary"]
BUILD = ["build", "--exclude-resource-type", "unit_test", "--vars", "{window_end: '2024-02-01'}"]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def scenario(request, tmp_path_factory) -> DbtProjectCopy:
    """The scenario loaded (one dlt load) and built once per warehouse; tests that change things
    work on a clone."""
    root = tmp_path_factory.mktemp(f"dbt_scenario_{request.param}")
    seeds = {"deployment_definitions": DEPLOYMENT_DEFINITIONS, "incident_definitions": INCIDENT_DEFINITIONS,
             "services": SERVICES}
    return built_scenario(root, engine_warehouse(request, root), seeds, RAW, LOAD_1, BUILD)


def snapshot(project: DbtProjectCopy, tables: list[str]) -> dict[str, list[tuple]]:
    return {table: table_rows(project.warehouse, table) for table in tables}


def test_each_method_counts_what_its_definitions_match(scenario):
    # Runs 304 (`tests`), 306 (failure); releases 402-404; GitHub deployments 502 (staging), 503
    # (failure); PRs 202, 203, 206 and dep-2 are candidates that match no definition.
    assert query(scenario, """
        select deployment_id, service, team, definition_id, branch, deployed_at::varchar, is_failed, incident_count
        from marts.deployments order by deployment_id""") == [
        ("custom:dep-1", "billing", "core", "billing-prod", None, "2024-01-17 08:00:00", True, 1),  # inc-1
        ("github_deployment:501", "api", "core", "api-github", None, "2024-01-10 09:00:00", False, 0),
        ("merged_pr:201", "acme/web", None, "web-main", "main", "2024-01-08 12:00:00", False, 0),
        ("merged_pr:204", "acme/web", None, "web-main", "main", "2024-01-10 10:00:00", True, 1),  # PJ1
        ("merged_pr:205", "acme/web", None, "web-hotfix", "release/1.2", "2024-01-16 11:00:00", False, 0),
        ("merged_pr:207", "acme/web", None, "web-hotfix", "main", "2024-01-24 10:00:00", False, 0),
        ("release:401", "api", "core", "api-release", "main", "2024-01-16 10:00:00", True, 1),  # PI2
        ("workflow_run:301", "api", "core", "api-deploy", "main", "2024-01-01 11:00:00", False, 0),
        ("workflow_run:302", "api", "core", "api-deploy", "main", "2024-01-02 14:00:00", True, 1),  # inc-2
        ("workflow_run:303", "api", "core", "api-deploy", "main", "2024-01-02 16:00:00", True, 1),  # PI1
        ("workflow_run:305", "api", "core", "api-deploy", "main", "2024-01-09 15:00:00", False, 0),
    ]


def test_a_github_deployment_counts_once_at_its_first_success(scenario, tmp_path):
    # 501 was first seen already inactive: it counts at its success, with that status's log.
    assert query(scenario, """
        select deployment_id, deployed_at::varchar, url from marts.deployments
        where deployment_id like 'github_deployment:%'""") == [
        ("github_deployment:501", "2024-01-10 09:00:00", "https://log/501")]
    # 504 is seen as a success in one load, and inactive in the next (a newer deployment succeeded).
    project = scenario.clone(tmp_path / "inactive")
    statuses = [("queued", ts(30, "11:55")), ("success", ts(30, "12:00"))]
    history = """select candidate_id, is_deployment, definition_id, deployed_at::varchar, url, state, loaded_at
                 from history.deployment_history where candidate_id = 'github_deployment:504'"""
    seen = []
    for load, later in [(LOAD_2, []), (LOAD_3, [("inactive", ts(31, "09:00"))])]:
        load_rows(project.warehouse, "raw_github.deployments",
                  [github_deployment(504, "production", statuses + later)], load)
        result = project.dbt("run", "--select", "deployment_history")
        assert result.success, result.text
        seen += query(project, history)
    assert seen == [
        ("github_deployment:504", True, "api-github", "2024-01-30 12:00:00", "https://log/504", "success",
         Decimal(LOAD_2)),
        ("github_deployment:504", True, "api-github", "2024-01-30 12:00:00", "https://log/504", "inactive",
         Decimal(LOAD_3)),
    ]


def test_history_keeps_every_candidate_with_its_evaluation(scenario):
    rows = query(scenario, """
        select candidate_id, is_deployment, definitions_version from history.deployment_history
        where not is_deployment order by candidate_id""")
    assert rows == [(candidate, False, 1) for candidate in [
        "custom:dep-2", "github_deployment:502", "github_deployment:503",
        "merged_pr:101", "merged_pr:102", "merged_pr:103", "merged_pr:104", "merged_pr:105", "merged_pr:106",
        "merged_pr:202", "merged_pr:203", "merged_pr:206",
        "release:404",  # 402 draft and 403 prerelease are never candidates
        "workflow_run:304", "workflow_run:306"]]
    assert query(scenario, "select candidate_id from history.incident_history where not is_incident") == [
        ("custom:inc-3",)]


def test_changes_follow_baseline_cutoffs_and_branches_with_negative_spans_left_out(scenario):
    # 101 and 201 went out with their repository's baseline; 202, 203, 206 never reached a deployment.
    # lead = deployed - first commit; coding = opened - first commit; review = merged - opened;
    # deploy wait = deployed - merged (hours).
    assert query(scenario, """
        select change_id, deployment_id, lead_time_hours, coding_hours, review_hours, deploy_wait_hours
        from marts.changes order by change_id""") == [
        ("102", "workflow_run:302", 6.0, 2.0, 2.0, 2.0),  # 14-08, 10-08, 12-10, 14-12
        ("103", "workflow_run:303", 7.0, 2.0, 2.0, 3.0),  # merged while 302 ran: shipped by 303; 16-09
        ("104", "workflow_run:305", 5.0, None, 3.0, 3.0),  # first commit 1h after opening: coding left out
        ("105", "workflow_run:305", 2.0, 0.5, 0.5, 1.0),  # sha zzz matches no PR: cut-off 15:00
        ("106", "github_deployment:501", 169.0, 1.0, 1.0, 167.0),  # develop: only the branchless deployment
        ("204", "merged_pr:204", 26.0, 2.0, 24.0, 0.0),
        ("205", "merged_pr:205", 2.0, 0.5, 1.5, 0.0),
        ("207", "merged_pr:207", None, None, 1.0, 0.0),  # first commit 2h after the merge: lead left out
    ]


def test_incidents_are_attributed_explicitly_else_within_the_window(scenario):
    assert query(scenario, """
        select incident_id, service, team, definition_id, time_to_restore_hours, deployment_id, attribution,
               recovery_from_deployment_hours
        from marts.incidents order by incident_id""") == [
        # linked to dep-1 although 13 days apart: resolved Jan 30 10:00 - Jan 17 08:00 = 314h
        ("custom:inc-1", "billing", "core", "urgent-custom", 1.0, "custom:dep-1", "deployment_id", 314.0),
        # commit a2 -> run 302 (the window would pick 501): Jan 11 12:00 - Jan 2 14:00 = 214h
        ("custom:inc-2", "api", "core", "urgent-custom", 4.0, "workflow_run:302", "commit_sha", 214.0),
        ("pagerduty:PI1", "api", "core", "all-pagerduty", 2.0, "workflow_run:303", "window", 3.0),  # 1h after 303
        ("pagerduty:PI2", "api", "core", "all-pagerduty", 0.5, "release:401", "window", 96.5),  # 96h after 401
        ("pagerduty:PI3", "api", "core", "all-pagerduty", None, None, None, None),  # 218h > 168h; unresolved
        ("pagerduty:PI4", "Sandbox", "sre", "all-pagerduty", 6.0, None, None, None),  # no Sandbox deployment
        ("pagerduty:PJ1", "acme/web", None, "all-pagerduty", 4.0, "merged_pr:204", "window", 5.0),
    ]


def test_quarantine_flags_the_changes_whose_spans_run_backwards(scenario):
    # PR 104 was opened at 09:00 before its first commit at 10:00, PR 207 at 09:00 before 12:00;
    # occurred_at is the deployment of the change (run 305, merged_pr:207).
    assert query(scenario, """
        select record_type, record_id, service, reason, occurred_at::varchar
        from marts.quarantine order by record_id""") == [
        ("change", "104", "api", "first commit is after the PR was opened", "2024-01-09 15:00:00"),
        ("change", "207", "acme/web", "first commit is after the PR was opened", "2024-01-24 10:00:00"),
    ]


def test_dora_weekly_counts_per_week_and_fills_quiet_weeks(scenario):
    columns = """week_start::varchar, deployments, deployment_days, changes, lead_time_median_hours,
                 lead_time_p90_hours, failed_deployments, change_failure_rate, incidents,
                 time_to_restore_median_hours"""
    assert query(scenario, f"select {columns} from marts.dora_weekly where scope = 'org' order by week_start") == [
        # 301, 302, 303 on Jan 1-2; changes 102 (6h), 103 (7h): median 6.5, p90 6 + 0.9 * 1; PI1 2h, PI4 6h
        ("2024-01-01", 3, 2, 2, 6.5, 6.9, 2, round(2 / 3, 6), 2, 4.0),
        # 201, 305, 501, 204 on Jan 8, 9, 10; leads 2, 5, 26, 169: median (5 + 26) / 2, p90 26 + 0.7 * 143
        ("2024-01-08", 4, 3, 4, 15.5, 126.1, 1, 0.25, 2, 4.0),
        ("2024-01-15", 3, 2, 1, 2.0, 2.0, 2, round(2 / 3, 6), 1, 0.5),  # 401, 205, dep-1; PI2
        ("2024-01-22", 1, 1, 1, None, None, 0, 0.0, 1, None),  # 207 (negative lead); PI3 unresolved
        ("2024-01-29", 0, 0, 0, None, None, 0, None, 1, 1.0),  # inc-1 only
    ]
    # billing: a deployment in week 3, nothing in week 4 (a quiet week), an incident in week 5.
    assert query(scenario, f"""select scope, {columns} from marts.dora_weekly
                              where scope_name = 'billing' order by week_start""") == [
        ("service", "2024-01-15", 1, 1, 0, None, None, 1, 1.0, 0, None),
        ("service", "2024-01-22", 0, 0, 0, None, None, 0, None, 0, None),
        ("service", "2024-01-29", 0, 0, 0, None, None, 0, None, 1, 1.0),
    ]


def test_dora_summary_levels_for_a_fixed_window_end(scenario):
    # window_end 2024-02-01: 30 days = [Jan 2, Feb 1) leaves out the baseline 301 (Jan 1); 90 days holds all.
    rows = query(scenario, """
        select scope, scope_name, window_days, window_end::varchar, deployments, deployments_per_week,
               lead_time_median_hours, change_failure_rate, time_to_restore_median_hours,
               deployment_frequency_level, lead_time_level, change_failure_rate_level, time_to_restore_level,
               overall_level
        from marts.dora_summary
        where scope_name in ('org', 'acme/web', 'sre') and window_offset = 0 order by scope, scope_name, window_days""")
    assert rows == [
        # 10 / (30/7) deploys/week: high (>= 1); leads 2,2,5,6,7,26,169: median 6 elite (<= 24);
        # CFR 5/10 low (> 0.15); TTR 0.5,1,2,4,4,6: median 3 high (<= 24)
        ("org", "org", 30, "2024-02-01 00:00:00", 10, round(70 / 30, 6), 6.0, 0.5, 3.0,
         "high", "elite", "low", "high", "low"),
        # 11 / (90/7) = 0.856: medium (>= 0.25); CFR 5/11
        ("org", "org", 90, "2024-02-01 00:00:00", 11, round(77 / 90, 6), 6.0, round(5 / 11, 6), 3.0,
         "medium", "elite", "low", "high", "low"),
        # 201, 204, 205, 207: 28/30 medium; leads 26, 2: median 14; CFR 1/4; PJ1 4h
        ("service", "acme/web", 30, "2024-02-01 00:00:00", 4, round(28 / 30, 6), 14.0, 0.25, 4.0,
         "medium", "elite", "low", "high", "low"),
        ("service", "acme/web", 90, "2024-02-01 00:00:00", 4, round(28 / 90, 6), 14.0, 0.25, 4.0,
         "medium", "elite", "low", "high", "low"),
        # no deployments: 0/week is low, no CFR nor lead time -> no level; PI4 6h
        ("team", "sre", 30, "2024-02-01 00:00:00", 0, 0.0, None, None, 6.0, "low", None, None, "high", "low"),
        ("team", "sre", 90, "2024-02-01 00:00:00", 0, 0.0, None, None, 6.0, "low", None, None, "high", "low"),
    ]
    # 7 scopes x 2 current windows, and x 1 earlier window (below)
    assert query(scenario, "select count(*) from marts.dora_summary") == [(21,)]


def test_dora_summary_earlier_windows_and_lead_time_stages(scenario):
    # The 30 days before [Jan 2, Feb 1) are [Dec 3, Jan 2): only 301 (Jan 1 11:00, the baseline: no
    # change, no incident). The 90 days before [Nov 3, Feb 1) end before the first record (Jan 1):
    # no row, rather than a quiet window the history never covered.
    assert query(scenario, """
        select scope, scope_name, window_days, window_start::varchar, window_end::varchar, deployments,
               cast(cast(deployments_per_week as decimal(18, 6)) as double precision), changes,
               lead_time_median_hours,
               change_failure_rate, incidents,
               time_to_restore_median_hours, deployment_frequency_level, change_failure_rate_level, overall_level
        from marts.dora_summary where window_offset = 1 and scope_name in ('org', 'api', 'sre')
        order by scope, scope_name""") == [
        # 1 / (30/7) = 0.233 < 0.25: low; CFR 0 of 1: elite
        ("org", "org", 30, "2023-12-03 00:00:00", "2024-01-02 00:00:00", 1, round(7 / 30, 6), 0, None, 0.0, 0,
         None, "low", "elite", "low"),
        ("service", "api", 30, "2023-12-03 00:00:00", "2024-01-02 00:00:00", 1, round(7 / 30, 6), 0, None, 0.0,
         0, None, "low", "elite", "low"),
        ("team", "sre", 30, "2023-12-03 00:00:00", "2024-01-02 00:00:00", 0, 0.0, 0, None, None, 0, None, "low",
         None, "low"),
    ]
    assert query(scenario, "select count(*) from marts.dora_summary where window_offset = 1 and window_days = 90") \
        == [(0,)]
    # Stages of the 8 changes deployed in [Jan 2, Feb 1) (test_changes_... above), each over its known spans:
    # coding 2, 2, -, 0.5, 1, 2, 0.5, - -> 0.5, 0.5, 1, 2, 2, 2: median 1.5;
    # review 2, 2, 3, 0.5, 1, 24, 1.5, 1 -> 0.5, 1, 1, 1.5, 2, 2, 3, 24: median 1.75;
    # deploy wait 2, 3, 3, 1, 167, 0, 0, 0 -> 0, 0, 0, 1, 2, 3, 3, 167: median 1.5.
    # acme/web (204, 205, 207): coding 2, 0.5, -: 1.25; review 24, 1.5, 1: 1.5; wait 0, 0, 0: 0.
    assert query(scenario, """
        select scope_name, window_start::varchar, changes, lead_time_median_hours, coding_median_hours,
               review_median_hours, deploy_wait_median_hours
        from marts.dora_summary where window_offset = 0 and window_days = 30 and scope_name in ('org', 'acme/web')
        order by scope_name""") == [
        ("acme/web", "2024-01-02 00:00:00", 3, 14.0, 1.25, 1.5, 0.0),
        ("org", "2024-01-02 00:00:00", 8, 6.0, 1.5, 1.75, 1.5),
    ]


def test_records_dated_more_than_a_day_after_their_load_are_quarantined(scenario, tmp_path):
    project = scenario.clone(tmp_path / "future")
    # A load on Feb 2 00:00 (LOAD_2) brings records dated after Feb 3 00:00, a day later: a run
    # finished in 2999, a PR merged then (a web-main deployment), a PagerDuty incident created then,
    # a custom deployment one second past the day and a custom incident resolved in 2999. dep-4,
    # exactly a day after the load, is not in the future: it counts.
    load_rows(project.warehouse, "raw_github.workflow_runs", [run(308, "deploy-prod", "a8", "2999-01-01 00:00:00+00")],
              LOAD_2)
    load_rows(project.warehouse, "raw_github.pull_requests", [
        pr(209, "acme/web", 18, "main", ts(31, "08:00"), ts(31, "09:00"), "2999-01-01 00:00:00+00", "w9")], LOAD_2)
    load_rows(project.warehouse, "raw_pagerduty.incidents",
              [pagerduty("PI5", "API Production", "2999-01-01 00:00:00+00", None)], LOAD_2)
    load_rows(project.warehouse, "raw_custom.deployments", [
        {"id": "dep-3", "service": "billing", "environment": "production", "commit_sha": "b3",
         "deployed_at": "2024-02-03 00:00:01+00", "received_at": ts(31, "08:00")},
        {"id": "dep-4", "service": "billing", "environment": "production", "commit_sha": "b4",
         "deployed_at": "2024-02-03 00:00:00+00", "received_at": ts(31, "08:00")},
    ], LOAD_2)
    load_rows(project.warehouse, "raw_custom.incidents",
              [custom_incident("inc-4", "billing", "high", ts(31, "09:00"), "2999-01-01 00:00:00+00")], LOAD_2)
    before = snapshot(project, ["marts.incidents", "marts.changes"])
    result = project.dbt("run", "--vars", "{window_end: '2024-02-01'}")
    assert result.success, result.text

    # The service is the one the record carries: the repository, the PagerDuty service's name.
    assert query(project, "select * from marts.quarantine where record_type <> 'change' order by record_id") == [
        ("deployment", "custom:dep-3", "billing", "deployed_at is more than a day after the load that brought it in",
         datetime(2024, 2, 3, 0, 0, 1)),
        ("incident", "custom:inc-4", "billing", "resolved_at is more than a day after the load that brought it in",
         datetime(2024, 1, 31, 9)),
        ("deployment", "merged_pr:209", "acme/web",
         "deployed_at is more than a day after the load that brought it in", datetime(2999, 1, 1)),
        ("incident", "pagerduty:PI5", "API Production",
         "created_at is more than a day after the load that brought it in", datetime(2999, 1, 1)),
        ("deployment", "workflow_run:308", "acme/api",
         "deployed_at is more than a day after the load that brought it in", datetime(2999, 1, 1)),
    ]
    # None of them reaches another mart; dep-4 does, in the week of Jan 29, the last week there is.
    assert query(project, "select deployment_id from marts.deployments where deployment_id like 'custom:%' "
                          "or deployment_id in ('merged_pr:209', 'workflow_run:308') order by 1") == [
        ("custom:dep-1",), ("custom:dep-4",)]
    assert snapshot(project, ["marts.incidents", "marts.changes"]) == before
    assert query(project, "select max(week_start)::varchar, count(distinct week_start) from marts.dora_weekly") == [
        ("2024-01-29", 5)]


def test_the_attribution_window_and_the_benchmark_year_follow_their_vars(scenario, tmp_path):
    project = scenario.clone(tmp_path / "vars")
    # dora_levels turns the benchmark year into levels; dora_summary reads it
    result = project.dbt("run", "--select", "int_incidents_attributed+", "dora_levels", "--vars",
                         "{window_end: '2024-02-01', incident_attribution_window_hours: 218, dora_benchmark_year: 2021}")
    assert result.success, result.text
    # PI3 (api, Jan 25 12:00) is 218 h after release 401 (Jan 16 10:00): at most the window now.
    assert query(project, "select deployment_id, attribution from marts.incidents where incident_id = 'pagerduty:PI3'") == [
        ("release:401", "window")]
    assert query(project, "select incident_count from marts.deployments where deployment_id = 'release:401'") == [(2,)]
    # 2021 thresholds (dora_benchmarks.csv): deploys/week >= 0.25 high; lead <= 168 h high (not
    # elite: > 1 h); CFR above 0.30 low, at most 0.30 high; restore <= 24 h high. Values as in
    # test_dora_summary_levels_for_a_fixed_window_end (401 was failed already: same CFR).
    assert query(project, """
        select scope_name, window_days, deployment_frequency_level, lead_time_level, change_failure_rate_level,
               time_to_restore_level, overall_level, benchmark_year
        from marts.dora_summary
        where scope_name in ('org', 'acme/web') and window_days = 30 and window_offset = 0 order by 1""") == [
        ("acme/web", 30, "high", "high", "high", "high", "high", 2021),  # 0.93/week, 14 h, 0.25, 4 h
        ("org", 30, "high", "high", "low", "high", "low", 2021),  # 2.33/week, 6 h, 0.5, 3 h
    ]


def test_dbt_unit_tests_pass(scenario):
    result = scenario.dbt("test", "--select", "test_type:unit", *BUILD[-2:])
    assert result.success, result.text
    assert "PASS=4" in result.text  # the on-run-start check and the three unit tests


def test_invalid_definitions_fail_the_run_before_history_changes(scenario, tmp_path):
    project = scenario.clone(tmp_path / "invalid")
    before = snapshot(project, HISTORY_TABLES + MART_TABLES)
    project.write_seed("deployment_definitions", DEPLOYMENT_DEFINITIONS
                       + "web-main,merged_pr,acme/web,main,,,,deploy,,,,,,,,,,\n"
                       + ",release,acme/api,,,,,,,,,,,,,,,\n"
                       + "api-any,github_deployment,acme/api,main,,,,,,,,,,,,,,\n"
                       + "api-x,merged_pr,,,,,,,,,,,,,,,,\n")
    project.write_seed("incident_definitions", INCIDENT_DEFINITIONS + "pd-2,jira,,,,,,,,,\n")
    result = project.dbt(*BUILD)
    assert not result.success
    seeds = project.directory / "seeds"
    for message in [
        f"{seeds}/deployment_definitions.csv line 8 (definition_id 'web-main'): column 'definition_id' is a duplicate "
        "(first used on line 7)",
        f"{seeds}/deployment_definitions.csv line 8 (definition_id 'web-main'): column 'workflow' is not used by "
        "method 'merged_pr'",
        f"{seeds}/deployment_definitions.csv line 9 (definition_id ''): column 'definition_id' is empty",
        f"{seeds}/deployment_definitions.csv line 10 (definition_id 'api-any'): column 'branch' is not used by "
        "method 'github_deployment'",
        f"{seeds}/deployment_definitions.csv line 11 (definition_id 'api-x'): column 'branch' is required by "
        "method 'merged_pr'",
        f"{seeds}/incident_definitions.csv line 4 (definition_id 'pd-2'): column 'method' has unknown method 'jira' "
        "(known: custom, github_issue, jira_issue, pagerduty, revert)",
    ]:
        assert message in result.text
    assert snapshot(project, HISTORY_TABLES + MART_TABLES) == before


def test_history_and_marts_survive_source_deletions_and_full_refresh(scenario, tmp_path):
    project = scenario.clone(tmp_path / "durable")
    before = snapshot(project, HISTORY_TABLES + MART_TABLES)
    execute(project.warehouse, "delete from raw_github.pull_requests where id in (102, 204)")
    execute(project.warehouse, "delete from raw_github.workflow_runs where id = 302")
    execute(project.warehouse, "drop table raw_pagerduty.incidents cascade")  # Postgres: and the views on it
    execute(project.warehouse, "alter table raw_github.releases drop column html_url cascade")  # reads as null
    result = project.dbt(*BUILD, "--full-refresh")
    assert result.success, result.text
    assert snapshot(project, HISTORY_TABLES + MART_TABLES) == before


def test_changed_definitions_re_evaluate_the_records_still_present(scenario, tmp_path):
    project = scenario.clone(tmp_path / "redefined")
    # Drop web-hotfix, count the `tests` workflow; PR 207's source row is gone, so it keeps its evaluation.
    execute(project.warehouse, "delete from raw_github.pull_requests where id = 207")
    project.write_seed("deployment_definitions", DEPLOYMENT_DEFINITIONS.replace(
        "web-hotfix,merged_pr,acme/web,*,hotfix,,,,,,,,,,,,,\n", "api-tests,workflow_run,acme/api,main,,,,tests,,,,,,,,,,\n"))
    result = project.dbt(*BUILD)
    assert result.success, result.text
    assert query(project, """
        select candidate_id, is_deployment, definition_id, definitions_version from history.deployment_history
        where candidate_id in ('merged_pr:205', 'merged_pr:207', 'workflow_run:304', 'workflow_run:305')
        order by candidate_id""") == [
        ("merged_pr:205", False, None, 2),  # hotfix into release/1.2: no definition matches any more
        ("merged_pr:207", True, "web-hotfix", 1),  # gone at the source: kept as it was
        ("workflow_run:304", True, "api-tests", 2),
        ("workflow_run:305", True, "api-deploy", 2),
    ]
    assert query(project, "select count(*) from marts.deployments") == [(11,)]  # 11 - 205 + 304


def test_an_install_without_any_record_builds_history_twice(tmp_path):
    # A fresh install whose sources delivered nothing yet: the first build creates empty history
    # tables, and the second must read "no stored load" from them (it wrote `case method else -1 end`).
    project = DbtProjectCopy.create(tmp_path / "dbt_project", tmp_path / "warehouse.duckdb")
    history = ["build", "--select", "+path:models/history", "--exclude-resource-type", "unit_test"]
    assert project.dbt(*history).success
    second = project.dbt(*history)
    assert second.success, second.text
    assert query(project, "select count(*) from history.deployment_history") == [(0,)]


def test_a_repeated_or_missing_key_fails_the_primary_key_test(scenario, tmp_path):
    project = scenario.clone(tmp_path / "keys")  # built with every test passing (the fixture)
    execute(project.warehouse, "insert into history.pull_request_history "
                               "select * from history.pull_request_history where pull_request_id = 101")
    execute(project.warehouse, """
        create temporary table missing_key as
        select * from history.incident_history where candidate_id = 'pagerduty:PI1';
        update missing_key set candidate_id = null;
        insert into history.incident_history select * from missing_key""")
    result = project.dbt("test", "--select", "test_name:primary_key")
    assert not result.success
    # int_merged_changes reads pull_request_history, so the repeated PR fails its key too
    assert sorted(re.findall(r"Failure in test (\w+)", result.text)) == [
        "primary_key_incident_history_candidate_id",
        "primary_key_int_merged_changes_change_id",
        "primary_key_pull_request_history_pull_request_id",
    ]


def test_renamed_repositories_and_services_keep_one_history_under_their_new_name(scenario, tmp_path):
    project = scenario.clone(tmp_path / "renamed")
    # acme/api (id 1) became acme/platform; the next load brings PR 107 (#7, first commit Jan 30
    # 08:00, opened 09:00, merged 10:00, sha a7) and run 307 deploying it at 12:00, both under the
    # new name, while the raw rows of earlier records still carry the old one. Run 301 is gone at
    # the source. The user renames acme/api in the definitions and services.csv. PagerDuty renamed
    # the Sandbox service (id PSANDBOX) to Sandbox EU: only the services listing says so.
    execute(project.warehouse, "delete from raw_github.workflow_runs where id = 301")
    load_rows(project.warehouse, "raw_github.pull_requests", [{
        **pr(107, "acme/api", 7, "main", ts(30, "08:00"), ts(30, "09:00"), ts(30, "10:00"), "a7"),
        "repository": "acme/platform"}], LOAD_2)
    load_rows(project.warehouse, "raw_github.workflow_runs",
              [{**run(307, "deploy-prod", "a7", ts(30, "12:00")), "repository": "acme/platform"}], LOAD_2)
    load_rows(project.warehouse, "raw_pagerduty.services", [{"id": "PSANDBOX", "name": "Sandbox EU"}], LOAD_2)
    project.write_seed("deployment_definitions", DEPLOYMENT_DEFINITIONS.replace("acme/api", "acme/platform"))
    project.write_seed("services", SERVICES.replace("acme/api", "acme/platform"))
    result = project.dbt(*BUILD)
    assert result.success, result.text

    # Every deployment of repository 1 counts under the new name: 302-305 are re-evaluated under
    # it, 301 (gone) keeps its evaluation and its stored name but is shown under the new one.
    assert query(project, """
        select deployment_id, repository, service, definition_id from marts.deployments
        where deployment_id not like '%_pr:%' and deployment_id not like 'custom:%' order by deployment_id""") == [
        ("github_deployment:501", "acme/platform", "api", "api-github"),
        ("release:401", "acme/platform", "api", "api-release"),
        ("workflow_run:301", "acme/platform", "api", "api-deploy"),
        ("workflow_run:302", "acme/platform", "api", "api-deploy"),
        ("workflow_run:303", "acme/platform", "api", "api-deploy"),
        ("workflow_run:305", "acme/platform", "api", "api-deploy"),
        ("workflow_run:307", "acme/platform", "api", "api-deploy"),
    ]
    assert query(project, """
        select candidate_id, repository, definitions_version from history.deployment_history
        where candidate_id in ('workflow_run:301', 'workflow_run:302') order by candidate_id""") == [
        ("workflow_run:301", "acme/api", 1), ("workflow_run:302", "acme/platform", 2)]
    # 307 is not a first deployment of a new repository: it ships what was merged on main since
    # 305's cut-off (Jan 9 15:00), i.e. PR 107: lead 12-08 = 4 h, coding 1, review 1, wait 2.
    # PR 102, stored under the old name, still goes with 302 (6 h) and reads under the new name.
    assert query(project, """
        select change_id, repository, deployment_id, lead_time_hours, coding_hours, review_hours, deploy_wait_hours
        from marts.changes where change_id in ('102', '107') order by change_id""") == [
        ("102", "acme/platform", "workflow_run:302", 6.0, 2.0, 2.0, 2.0),
        ("107", "acme/platform", "workflow_run:307", 4.0, 1.0, 1.0, 2.0),
    ]
    assert query(project, "select service, team from marts.incidents where incident_id = 'pagerduty:PI4'") == [
        ("Sandbox EU", "sre")]


def test_runs_are_idempotent_and_read_only_new_loads(scenario, tmp_path):
    project = scenario.clone(tmp_path / "incremental")
    before = snapshot(project, HISTORY_TABLES + MART_TABLES)
    assert project.dbt(*BUILD).success
    assert snapshot(project, HISTORY_TABLES + MART_TABLES) == before

    # Mark a stored row: an ordinary run must not rewrite rows of earlier loads.
    execute(project.warehouse, "update history.deployment_history set title = 'stored' where candidate_id = 'merged_pr:204'")
    load_rows(project.warehouse, "raw_github.pull_requests",
              [pr(208, "acme/web", 17, "main", ts(30, "08:00"), ts(30, "09:00"), ts(30, "11:00"), "w8")], LOAD_2)
    load_rows(project.warehouse, "raw_github.workflow_runs",  # 306 re-run (attempt 2) and now successful
              [run(306, "deploy-prod", "a4", ts(30, "12:00"), attempt=2)], LOAD_2)
    assert project.dbt(*BUILD).success
    assert query(project, """
        select candidate_id, title, is_deployment, loaded_at::varchar from history.deployment_history
        where candidate_id in ('merged_pr:204', 'merged_pr:208', 'workflow_run:306') order by candidate_id""") == [
        ("merged_pr:204", "stored", True, LOAD_1),
        ("merged_pr:208", "PR 17", True, LOAD_2),
        ("workflow_run:306", None, True, LOAD_2),
    ]
    # 306 ships nothing new on main (cut-off: PR 104's merge, already shipped); 208 is its own change.
    assert query(project, "select count(*) from marts.deployments") == [(13,)]
    assert query(project, "select change_id, deployment_id from marts.changes where change_id = '208'") == [
        ("208", "merged_pr:208")]
