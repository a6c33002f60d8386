"""Deployment rework rate, change failures from reverts and GitHub issues, and the reasons the marts
give, on one small scenario with every expected value worked out by hand; and the DORA levels
read from the 2024 table as published, and none from 2025 on. Built once per warehouse (DuckDB and
a throwaway PostgreSQL database) with the same expected values.

Scenario (February-March 2024; Mondays Feb 5, 12, 19, 26, Mar 4, 11, 18, 25). window_end is
2024-04-01: the current 30 days are [Mar 2, Apr 1), the previous ones [Feb 1, Mar 2).

acme/shop -> service `shop`, team `web`; a deployment is a PR merged into main (merged_pr), the
PR its own change (first commit / opened / merged; lead = merged - first commit).
  Feb: #1 Feb 5 (the baseline), #2 Feb 8, #3 Feb 12, #4 Feb 15, #5 Feb 19, each 08/09/10:00.
  #11 "Add cart"         Mar 4  08/09/10:00
  #12 "Add coupons"      Mar 5  08/09/12:00
  #13 'Revert "Add coupons"', branch revert-12-coupons, Mar 6 08:30/09/10:00
  #14 "Add wishlist"     Mar 12 07/08/09:30, branch hotfix-wishlist (no match for hotfix/*)
  #15 "Fix wishlist", label hotfix, Mar 12 10:15/10:30/11:00
  #16 "Tidy styles"      Mar 19 10:00 / Mar 20 08/10:00
  #17 "Speed up search", branch hotfix/search, Mar 28 11/12/15:00
  Issues: #18 "Checkout broken" (incident) Mar 20 14:00 -> Mar 21 02:00; #19 "Docs typo" (docs),
  open; #20 "Slow search" (incident) Mar 27 20:00, open (178 h after #16: outside the window).
  PagerDuty `Shop Frontend`: P0 Feb 12 11:00 -> Feb 13 17:00; P1 Mar 12 10:00 -> 12:00.
  Custom API: inc-1 "Rolled back styles", linked to #16's deployment and created when it went
  out (Mar 20 10:00), resolved 11:00.
acme/api -> service `api`, team `core`; a deployment is a successful `deploy` run on main, which
ships what was merged up to its cut-off (the merge of the PR whose merge commit it deployed,
else its own time).
  #1 "Init" merged Mar 4 08:00 (a1)       run 301 a1 Mar 4 09:00: the baseline
  #2 "Add rate limiter" Mar 10 10:00 / Mar 11 08/10:00 (a2); #3 "Add metrics" Mar 11 07/08/10:30 (a3)
                                          run 302 a3 Mar 11 11:00: ships #2 and #3
  #4 'Revert "Add rate limiter"', branch revert-2-rate-limiter, Mar 13 07:30/08/09:00 (a4)
                                          run 303 zzz (no PR's commit) Mar 13 12:00: ships #4
  #5 "Add cache" Mar 25 08/09/10:00 (a5); #6 'Revert "Add cache"', branch undo-cache (found by
  its title), Mar 25 10:20/10:30/11:00 (a6)
                                          run 304 a6 Mar 25 12:00: ships #5 and #6 together
  #7 "Add audit log" Mar 26 08/09/10:00 (a7)  run 305 a7 Mar 26 11:00: ships #7
  #8 'Revert "Merge pull request #7 from acme/audit-log"', branch undo-audit, Mar 27
  08:30/09/10:00 (a8): never deployed.
Definitions: incidents = every PagerDuty and custom incident, GitHub issues labelled `incident`, every revert;
rework = deployed while an incident of its service was open, shipped a revert, shipped a change
labelled hotfix or from a hotfix/* branch.
"""

from __future__ import annotations

import pytest

from dbt_fixtures import DbtProjectCopy, built_scenario, engine_warehouse, execute, query

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

# The dlt load id: its start in epoch seconds, 2024-04-01 00:00 UTC, after every record (a record
# dated more than a day after its load is quarantined).
LOAD = "1711929600.000001"
BUILD = ["build", "--exclude-resource-type", "unit_test", "--vars", "{window_end: '2024-04-01'}"]

DEPLOYMENT_DEFINITIONS = """\
definition_id,method,repository,branch,workflow
api-deploy,workflow_run,acme/api,main,deploy
shop-main,merged_pr,acme/shop,main,
"""
INCIDENT_DEFINITIONS = """\
definition_id,method,label,repository
all-pagerduty,pagerduty,,
custom-incidents,custom,,
github-incidents,github_issue,incident,
reverts,revert,,
"""
REWORK_DEFINITIONS = """\
definition_id,method,repository,branch,label,title,service
during-open-incident,open_incident,,,,,
hotfix-branch,hotfix_pr,,hotfix/*,,,
hotfix-label,hotfix_pr,,,hotfix,,
shipped-reverts,revert_pr,,,,,
"""
SERVICES = """\
service,team,repository,pagerduty_service
shop,web,acme/shop,Shop*
api,core,acme/api,API*
"""


def at(month: int, day: int, time: str) -> str:
    return f"2024-{month:02d}-{day:02d} {time}:00+00"


def pull(id, number, repo, title, first_commit, opened, merged, sha, head_ref=None, labels=()):
    """A merged PR into main; its number is its id in acme/shop and its id - 20 in acme/api."""
    return {"id": id, "repository_id": 1 if repo == "acme/shop" else 2, "repository": repo, "number": number,
            "title": title, "author": "dev", "labels": list(labels), "base_ref": "main",
            "head_ref": head_ref or f"change-{number}", "state": "merged", "created_at": opened,
            "updated_at": merged, "closed_at": merged, "merged_at": merged, "merge_commit_sha": sha,
            "first_commit_at": first_commit, "html_url": f"https://github.com/{repo}/pull/{number}"}


def shop(number, title, day, first_commit, opened, merged, month=3, **extra):
    return pull(number, number, "acme/shop", title, at(month, day, first_commit), at(month, day, opened),
                at(month, day, merged), f"s{number}", **extra)


def api(number, title, first_commit, opened, merged, **extra):
    return pull(20 + number, number, "acme/api", title, first_commit, opened, merged, f"a{number}", **extra)


def deploy_run(id, sha, done):
    return {"id": id, "repository_id": 2, "repository": "acme/api", "workflow_id": 9, "workflow_name": "deploy",
            "head_branch": "main", "head_sha": sha, "event": "push", "status": "completed", "conclusion": "success",
            "run_attempt": 1, "run_started_at": done, "created_at": done, "updated_at": done, "actor": "ci",
            "html_url": f"https://ci/{id}"}


def issue(id, number, title, label, created, closed=None):
    return {"id": id, "repository_id": 1, "repository": "acme/shop", "number": number, "title": title,
            "author": "support", "labels": [label], "state": "closed" if closed else "open",
            "state_reason": "completed" if closed else None, "created_at": created, "updated_at": closed or created,
            "closed_at": closed, "html_url": f"https://github.com/acme/shop/issues/{number}"}


def page(id, title, created, resolved):
    return {"id": id, "incident_number": 1, "title": title, "status": "resolved", "urgency": "high",
            "priority": "P1", "service_id": "PSHOP", "service_name": "Shop Frontend", "teams": [],
            "created_at": created, "resolved_at": resolved, "updated_at": resolved,
            "last_status_change_at": resolved, "html_url": f"https://pd/{id}"}


RAW = {
    "raw_github.pull_requests": [
        *(shop(n, f"Feature {n}", day, "08:00", "09:00", "10:00", month=2)
          for n, day in [(1, 5), (2, 8), (3, 12), (4, 15), (5, 19)]),
        shop(11, "Add cart", 4, "08:00", "09:00", "10:00"),
        shop(12, "Add coupons", 5, "08:00", "09:00", "12:00"),
        shop(13, 'Revert "Add coupons"', 6, "08:30", "09:00", "10:00", head_ref="revert-12-coupons"),
        shop(14, "Add wishlist", 12, "07:00", "08:00", "09:30", head_ref="hotfix-wishlist"),
        shop(15, "Fix wishlist", 12, "10:15", "10:30", "11:00", labels=["hotfix"]),
        {**shop(16, "Tidy styles", 20, "08:00", "08:00", "10:00"), "first_commit_at": at(3, 19, "10:00")},
        shop(17, "Speed up search", 28, "11:00", "12:00", "15:00", head_ref="hotfix/search"),
        api(1, "Init", at(3, 4, "06:00"), at(3, 4, "07:00"), at(3, 4, "08:00")),
        api(2, "Add rate limiter", at(3, 10, "10:00"), at(3, 11, "08:00"), at(3, 11, "10:00")),
        api(3, "Add metrics", at(3, 11, "07:00"), at(3, 11, "08:00"), at(3, 11, "10:30")),
        api(4, 'Revert "Add rate limiter"', at(3, 13, "07:30"), at(3, 13, "08:00"), at(3, 13, "09:00"),
            head_ref="revert-2-rate-limiter"),
        api(5, "Add cache", at(3, 25, "08:00"), at(3, 25, "09:00"), at(3, 25, "10:00")),
        api(6, 'Revert "Add cache"', at(3, 25, "10:20"), at(3, 25, "10:30"), at(3, 25, "11:00"), head_ref="undo-cache"),
        api(7, "Add audit log", at(3, 26, "08:00"), at(3, 26, "09:00"), at(3, 26, "10:00")),
        api(8, 'Revert "Merge pull request #7 from acme/audit-log"', at(3, 27, "08:30"), at(3, 27, "09:00"),
            at(3, 27, "10:00"), head_ref="undo-audit"),
    ],
    "raw_github.workflow_runs": [
        deploy_run(301, "a1", at(3, 4, "09:00")),
        deploy_run(302, "a3", at(3, 11, "11:00")),
        deploy_run(303, "zzz", at(3, 13, "12:00")),
        deploy_run(304, "a6", at(3, 25, "12:00")),
        deploy_run(305, "a7", at(3, 26, "11:00")),
    ],
    "raw_github.issues": [
        issue(9018, 18, "Checkout broken", "incident", at(3, 20, "14:00"), at(3, 21, "02:00")),
        issue(9019, 19, "Docs typo", "docs", at(3, 22, "09:00")),
        issue(9020, 20, "Slow search", "incident", at(3, 27, "20:00")),
    ],
    "raw_custom.incidents": [
        {"id": "inc-1", "service": "shop", "title": "Rolled back styles", "urgency": "high", "priority": None,
         "created_at": at(3, 20, "10:00"), "resolved_at": at(3, 20, "11:00"), "deployment_id": "merged_pr:16",
         "commit_sha": None, "url": None, "received_at": at(3, 20, "11:00")},
    ],
    "raw_pagerduty.incidents": [
        page("P0", "Shop down", at(2, 12, "11:00"), at(2, 13, "17:00")),
        page("P1", "Checkout errors", at(3, 12, "10:00"), at(3, 12, "12:00")),
    ],
}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def scenario(request, tmp_path_factory) -> DbtProjectCopy:
    """The scenario loaded and built once per warehouse; tests that change something work on a clone."""
    root = tmp_path_factory.mktemp(f"rework_scenario_{request.param}")
    seeds = {"deployment_definitions": DEPLOYMENT_DEFINITIONS, "incident_definitions": INCIDENT_DEFINITIONS,
             "rework_definitions": REWORK_DEFINITIONS, "services": SERVICES}
    return built_scenario(root, engine_warehouse(request, root), seeds, RAW, LOAD, BUILD)


def test_deployments_say_why_they_failed_and_why_they_were_rework(scenario):
    assert query(scenario, """
        select deployment_id, deployed_at::varchar, is_failed, incident_count, failure_reason, is_rework, rework_reason
        from marts.deployments order by deployed_at""") == [
        ("merged_pr:1", "2024-02-05 10:00:00", False, 0, None, False, None),
        ("merged_pr:2", "2024-02-08 10:00:00", False, 0, None, False, None),
        ("merged_pr:3", "2024-02-12 10:00:00", True, 1,
         'incident pagerduty:P0 "Shop down" (definition all-pagerduty, attributed by window), '
         "created 1.0 h after the deployment", False, None),
        ("merged_pr:4", "2024-02-15 10:00:00", False, 0, None, False, None),
        ("merged_pr:5", "2024-02-19 10:00:00", False, 0, None, False, None),
        ("workflow_run:301", "2024-03-04 09:00:00", False, 0, None, False, None),
        ("merged_pr:11", "2024-03-04 10:00:00", False, 0, None, False, None),
        # reverted by #13, opened Mar 6 09:00: 21 h after
        ("merged_pr:12", "2024-03-05 12:00:00", True, 1,
         "reverted by acme/shop#13 (definition reverts), opened 21.0 h after the deployment", False, None),
        # the revert's own deployment is rework; its incident (open 09:00-10:00) ends as it goes out
        ("merged_pr:13", "2024-03-06 10:00:00", False, 0, None, True,
         "shipped revert acme/shop#13 (definition shipped-reverts)"),
        # run 302 shipped #2, which #4 reverted (opened Mar 13 08:00: 45 h after)
        ("workflow_run:302", "2024-03-11 11:00:00", True, 1,
         "reverted by acme/api#4 (definition reverts), opened 45.0 h after the deployment", False, None),
        # P1 is attributed to #14, deployed half an hour before it: its cause is not rework
        ("merged_pr:14", "2024-03-12 09:30:00", True, 1,
         'incident pagerduty:P1 "Checkout errors" (definition all-pagerduty, attributed by window), '
         "created 0.5 h after the deployment", False, None),
        # #15 went out while P1 was open (10:00-12:00), with the label hotfix
        ("merged_pr:15", "2024-03-12 11:00:00", False, 0, None, True,
         "deployed while incident pagerduty:P1 was open (definition during-open-incident); "
         'shipped acme/shop#15 "Fix wishlist" (definition hotfix-label)'),
        ("workflow_run:303", "2024-03-13 12:00:00", False, 0, None, True,
         "shipped revert acme/api#4 (definition shipped-reverts)"),
        # inc-1 names it and opened as it went out (not rework: it is the incident's cause); #18
        ("merged_pr:16", "2024-03-20 10:00:00", True, 2,
         'incident custom:inc-1 "Rolled back styles" (definition custom-incidents, attributed by deployment_id), '
         'created 0.0 h after the deployment; incident github_issue:9018 "Checkout broken" '
         "(definition github-incidents, attributed by window), created 4.0 h after the deployment", False, None),
        # #5 and its revert #6 went out together: rework (it shipped a revert), but nothing failed
        ("workflow_run:304", "2024-03-25 12:00:00", False, 0, None, True,
         "shipped revert acme/api#6 (definition shipped-reverts)"),
        # #8 reverts #7 (opened Mar 27 09:00) and is not deployed yet
        ("workflow_run:305", "2024-03-26 11:00:00", True, 1,
         "reverted by acme/api#8 (definition reverts), opened 22.0 h after the deployment", False, None),
        # issue #20 (open since the day before, Mar 27 20:00) was open; from a hotfix/* branch
        ("merged_pr:17", "2024-03-28 15:00:00", False, 0, None, True,
         "deployed while incident github_issue:9020 was open (definition during-open-incident); "
         'shipped acme/shop#17 "Speed up search" (definition hotfix-branch)'),
    ]


def test_reverts_and_github_issues_are_incidents_like_pagerduty_ones(scenario):
    assert query(scenario, """
        select incident_id, service, team, source, definition_id, created_at::varchar, resolved_at::varchar,
               time_to_restore_hours, deployment_id, attribution, recovery_from_deployment_hours
        from marts.incidents order by created_at""") == [
        ("pagerduty:P0", "shop", "web", "pagerduty", "all-pagerduty", "2024-02-12 11:00:00", "2024-02-13 17:00:00",
         30.0, "merged_pr:3", "window", 31.0),
        # opened Mar 6 09:00, resolved when merged_pr:13 went out (10:00); live from Mar 5 12:00: 22 h
        ("revert:13", "shop", "web", "revert", "reverts", "2024-03-06 09:00:00", "2024-03-06 10:00:00",
         1.0, "merged_pr:12", "revert", 22.0),
        ("pagerduty:P1", "shop", "web", "pagerduty", "all-pagerduty", "2024-03-12 10:00:00", "2024-03-12 12:00:00",
         2.0, "merged_pr:14", "window", 2.5),
        # resolved by run 303 (12:00); run 302 went out Mar 11 11:00: 49 h
        ("revert:24", "api", "core", "revert", "reverts", "2024-03-13 08:00:00", "2024-03-13 12:00:00",
         4.0, "workflow_run:302", "revert", 49.0),
        ("custom:inc-1", "shop", "web", "custom", "custom-incidents", "2024-03-20 10:00:00", "2024-03-20 11:00:00",
         1.0, "merged_pr:16", "deployment_id", 1.0),
        ("github_issue:9018", "shop", "web", "github_issue", "github-incidents", "2024-03-20 14:00:00",
         "2024-03-21 02:00:00", 12.0, "merged_pr:16", "window", 16.0),
        # the revert of #7 is merged but not deployed: still open
        ("revert:28", "api", "core", "revert", "reverts", "2024-03-27 09:00:00", None, None, "workflow_run:305",
         "revert", None),
        # the latest shop deployment before it (#16, Mar 20 10:00) is 191 h earlier: > 168 h, none
        ("github_issue:9020", "shop", "web", "github_issue", "github-incidents", "2024-03-27 20:00:00", None,
         None, None, None, None),
    ]


def test_history_keeps_the_revert_that_broke_nothing_and_the_issue_that_is_no_incident(scenario):
    # revert:26 matches `reverts`, but #5 and #6 went out in the same deployment: no incident in the marts.
    assert query(scenario, """
        select candidate_id, is_incident, repository, linked_change_id from history.incident_history
        where method in ('revert', 'github_issue') order by candidate_id""") == [
        ("github_issue:9018", True, "acme/shop", None),
        ("github_issue:9019", False, "acme/shop", None),
        ("github_issue:9020", True, "acme/shop", None),
        ("revert:13", True, "acme/shop", "12"),  # by its branch revert-12-...
        ("revert:24", True, "acme/api", "22"),  # by its branch revert-2-...
        ("revert:26", True, "acme/api", "25"),  # by its title: "Add cache" is #5 (id 25)
        ("revert:28", True, "acme/api", "27"),  # by "Merge pull request #7" in its title
    ]


def test_changes_say_why_their_deployment_shipped_them(scenario):
    assert query(scenario, """
        select change_id, deployment_id, shipped_by_reason, lead_time_hours
        from marts.changes where repository = 'acme/api' or change_id in ('2', '13') order by change_id::int""") == [
        ("2", "merged_pr:2", "merged by this deployment", 2.0),
        ("13", "merged_pr:13", "merged by this deployment", 1.5),
        # run 302 deployed a3, #3's merge commit: cut-off #3's merge (10:30), so #2 (10:00) goes with it
        ("22", "workflow_run:302", "merged before the deployed commit and not shipped earlier", 25.0),
        ("23", "workflow_run:302", "merge commit deployed", 4.0),
        # run 303 deployed no PR's commit: cut-off its own time
        ("24", "workflow_run:303", "merged before the deployment and not shipped earlier", 4.5),
        ("25", "workflow_run:304", "merged before the deployed commit and not shipped earlier", 4.0),
        ("26", "workflow_run:304", "merge commit deployed", round(100 / 60, 6)),
        ("27", "workflow_run:305", "merge commit deployed", 3.0),
    ]


def test_dora_weekly_counts_rework(scenario):
    assert query(scenario, """
        select week_start::varchar, deployments, failed_deployments, change_failure_rate,
               rework_deployments, rework_rate, incidents, time_to_restore_median_hours
        from marts.dora_weekly where scope = 'org' order by week_start""") == [
        ("2024-02-05", 2, 0, 0.0, 0, 0.0, 0, None),
        ("2024-02-12", 2, 1, 0.5, 0, 0.0, 1, 30.0),
        ("2024-02-19", 1, 0, 0.0, 0, 0.0, 0, None),
        ("2024-02-26", 0, 0, None, 0, None, 0, None),
        # 301, 11, 12, 13: 12 failed, 13 rework; revert:13 1 h
        ("2024-03-04", 4, 1, 0.25, 1, 0.25, 1, 1.0),
        # 302, 14, 15, 303: 302 and 14 failed, 15 and 303 rework; P1 2 h, revert:24 4 h
        ("2024-03-11", 4, 2, 0.5, 2, 0.5, 2, 3.0),
        ("2024-03-18", 1, 1, 1.0, 0, 0.0, 2, 6.5),  # inc-1 1 h, #18 12 h
        # 304, 305, 17: 305 failed, 304 and 17 rework; revert:28 and #20 still open
        ("2024-03-25", 3, 1, round(1 / 3, 6), 2, round(2 / 3, 6), 2, None),
    ]


SUMMARY = """
    select scope_name, window_offset, deployments, failed_deployments, change_failure_rate,
           rework_deployments, rework_rate, incidents, resolved_incidents, time_to_restore_median_hours,
           change_failure_rate_level, time_to_restore_level, rework_rate_level, overall_level, benchmark_year
    from marts.dora_summary where window_days = 30 and scope_name in ('org', 'shop', 'api')
    order by scope_name, window_offset"""


def test_dora_summary_rework_rate_with_its_numerator_and_denominator(scenario):
    # Current window: 12 deployments (shop 11-17, api 301-305), 5 failed, 5 rework; 7 incidents
    # created, 5 resolved (1, 1, 2, 4, 12 h: median 2). Previous: shop's February, 1 of 5 failed, P0
    # 30 h. Levels of 2023 (default): failure rate <= 0.15 medium, else low; restore <= 24 high,
    # <= 168 medium. No report gives rework-rate levels.
    assert query(scenario, SUMMARY) == [
        # api: 5 deployments, 302 and 305 failed, 303 and 304 rework; revert:24 4 h, revert:28 open
        ("api", 0, 5, 2, 0.4, 2, 0.4, 2, 1, 4.0, "low", "high", None, "low", 2023),
        ("api", 1, 0, 0, None, 0, None, 0, 0, None, None, None, None, "low", 2023),
        ("org", 0, 12, 5, round(5 / 12, 6), 5, round(5 / 12, 6), 7, 5, 2.0, "low", "high", None, "low", 2023),
        ("org", 1, 5, 1, 0.2, 0, 0.0, 1, 1, 30.0, "low", "medium", None, "low", 2023),
        # shop: 7 deployments, 12, 14, 16 failed, 13, 15, 17 rework; revert:13 1, P1 2, inc-1 1, #18 12 h,
        # #20 open
        ("shop", 0, 7, 3, round(3 / 7, 6), 3, round(3 / 7, 6), 5, 4, 1.5, "low", "high", None, "low", 2023),
        ("shop", 1, 5, 1, 0.2, 0, 0.0, 1, 1, 30.0, "low", "medium", None, "low", 2023),
    ]


def test_reverts_and_issues_stay_after_the_source_loses_them(scenario, tmp_path):
    # GitHub deletes issue #18 and PR #4 (the revert of #2), the reverted PR #12 is gone too, and
    # the issues table is dropped: history keeps them, a full refresh rebuilds the same marts.
    project = scenario.clone(tmp_path / "durable")
    marts = ["marts.deployments", "marts.incidents", "marts.changes", "marts.dora_summary"]
    before = {table: sorted(query(project, f"select * from {table}"), key=repr) for table in marts}
    execute(project.warehouse, "delete from raw_github.pull_requests where id in (12, 24)")
    execute(project.warehouse, "drop table raw_github.issues cascade")  # Postgres: and the views on it
    result = project.dbt(*BUILD, "--full-refresh")
    assert result.success, result.text
    assert {table: sorted(query(project, f"select * from {table}"), key=repr) for table in marts} == before


@pytest.fixture(scope="module")
def levels_2024(scenario, tmp_path_factory) -> DbtProjectCopy:
    project = scenario.clone(tmp_path_factory.mktemp("levels") / "2024")
    result = project.dbt("build", "--select", "dora_levels", "dora_summary", "--exclude-resource-type", "unit_test",
                         "--vars", "{window_end: '2024-04-01', dora_benchmark_year: 2024}")
    assert result.success, result.text
    return project


def test_the_2024_levels_are_read_from_the_table_as_published(levels_2024):
    # dora_benchmarks.csv, 2024: change failure rate elite 5%, high 20%, medium 10%; restore elite
    # 1 h, high and medium 24 h. A value gets the best level whose bound it meets: a rate of 10% or
    # less already meets high's 20%, a restore of 24 h or less high's 24 h, so medium covers nothing.
    assert query(levels_2024, """
        select metric, level, published_bound, is_reachable, lower_bound, upper_bound from marts.dora_levels
        where metric in ('change_failure_rate', 'time_to_restore_hours') order by metric, level_rank""") == [
        ("change_failure_rate", "elite", 0.05, True, None, 0.05),
        ("change_failure_rate", "high", 0.2, True, 0.05, 0.2),
        ("change_failure_rate", "medium", 0.1, False, None, None),
        ("change_failure_rate", "low", None, True, 0.2, None),
        ("time_to_restore_hours", "elite", 1.0, True, None, 1.0),
        ("time_to_restore_hours", "high", 24.0, True, 1.0, 24.0),
        ("time_to_restore_hours", "medium", 24.0, False, None, None),
        ("time_to_restore_hours", "low", None, True, 24.0, None),
    ]
    assert query(levels_2024, """
        select level, lower_bound, upper_bound from marts.dora_levels
        where metric = 'deployments_per_week' order by level_rank""") == [
        ("elite", 7.0, None), ("high", 1.0, 7.0), ("medium", 0.25, 1.0), ("low", None, 0.25)]
    # February's 20% is high now (it was low by 2023's 15%), its 30 h restore low (medium by 2023's 168 h).
    assert [row[:2] + row[10:] for row in query(levels_2024, SUMMARY)] == [
        ("api", 0, "low", "high", None, "low", 2024),
        ("api", 1, None, None, None, "low", 2024),
        ("org", 0, "low", "high", None, "low", 2024),
        ("org", 1, "high", "low", None, "low", 2024),
        ("shop", 0, "low", "high", None, "low", 2024),
        ("shop", 1, "high", "low", None, "low", 2024),
    ]


def test_2025_and_later_report_no_levels_and_an_unknown_year_stops_the_build(scenario, tmp_path):
    project = scenario.clone(tmp_path / "levels_2025")
    build = ["build", "--select", "dora_levels", "dora_summary", "--exclude-resource-type", "unit_test"]
    result = project.dbt(*build, "--vars", "{window_end: '2024-04-01', dora_benchmark_year: 2025}")
    assert result.success, result.text
    assert query(project, "select count(*) from marts.dora_levels") == [(0,)]
    assert query(project, """
        select distinct deployment_frequency_level, lead_time_level, change_failure_rate_level, time_to_restore_level,
               rework_rate_level, overall_level, benchmark_year
        from marts.dora_summary""") == [(None, None, None, None, None, None, 2025)]

    result = project.dbt(*build, "--vars", "{window_end: '2024-04-01', dora_benchmark_year: 2022}")
    assert not result.success
    assert "var dora_benchmark_year is 2022: dora_benchmarks.csv has levels for 2021, 2023, 2024 " \
           "(2025 and later: no levels)" in result.text
