"""Services inside a monorepo (services.csv `paths`): which services each PR, deployment and
incident belongs to, and the per-service and org metrics, on one small scenario with every
expected value worked out by hand. Built once per warehouse (DuckDB and a throwaway PostgreSQL
database) with the same expected values.

acme/mono holds two services by path, and a row without paths for whatever neither claims:
  api   (team core)     services/api/**
  web   (team front)    services/web/** !services/web/docs/**   (web's docs are not web)
  mono  (team platform) acme/mono, no paths
A deployment is a successful `deploy` run on main; it ships what was merged up to the PR whose
merge commit it deployed. Times are March 2024 (Monday Mar 4, Mar 11); lead = deployed - first commit.

  PR  files                                        first / opened / merged   run (sha, time)     ships
  #1  api/main.py, web/index.ts, README.md         Mar 4 06/07/08:00         501 m1 Mar 4 09:00   the baseline: nothing
  #2  api/limits.py                                Mar 11 06/07/08:00
  #3  web/header.ts, web/docs/header.md            Mar 11 05/06/09:00        502 m3 Mar 11 10:00  #2 (api, 4 h), #3 (web, 5 h)
  #4  web/docs/guide.md (docs only: no service)    Mar 12 07/08/09:00        503 m4 Mar 12 10:00  #4 (mono, 3 h)
  #5  api/x.py, web/y.ts                           Mar 13 08/09/10:00        504 m5 Mar 13 12:00  #5 (api and web, 4 h)
  #6  api/fix.py                                   Mar 14 07/08/09:00        505 m6 Mar 14 10:00  #6 (api, 3 h)
  #7  web/z.ts                                     Mar 14 09/10/11:00        506 m7 Mar 14 12:00  #7 (web, 3 h)
  #8  api/hot.py                                   Mar 14 11:30/12:00/12:30  507 m8 Mar 14 12:45  #8 (api, 1.25 h)

So 501 and 503 count for mono (they shipped no change of a path service), 502 and 504 for api
and web, 505 and 507 for api, 506 for web.
PagerDuty (services.csv maps `API*` to api, `Web*` to web):
  W "Web errors" (Web frontend) Mar 13 13:00-14:00: the latest web deployment before it is 504: failed.
  A "API errors" (API gateway)  Mar 14 11:00-13:00: the latest api deployment before it is 505: failed;
  507 (api) goes out while it is open: rework; 506 too, but it is web's: not rework.
window_end 2024-04-01: the 30-day window [Mar 2, Apr 1) holds everything.
  org:  7 deployments, 2 failed (2/7), 1 rework (1/7), 7 changes, lead median of 1.25 3 3 3 4 4 5 = 3, 2 incidents
  api:  4 deployments (502 504 505 507), 2 failed = 0.5, 1 rework = 0.25, changes #2 #5 #6 #8:
        median of 1.25 3 4 4 = 3.5, 1 incident
  web:  3 deployments (502 504 506), 1 failed = 1/3, 0 rework, changes #3 #5 #7: median of 3 4 5 = 4, 1 incident
  mono: 2 deployments (501 503), none failed, change #4: 3 h
  teams core = api, front = web, platform = mono.
"""

from __future__ import annotations

import pytest

from dbt_fixtures import DbtProjectCopy, DuckDBWarehouse, built_scenario, engine_warehouse, query
from dora.core.changed_files import names_repositories, repositories_with_paths

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

LOAD = "1711929600.000001"  # 2024-04-01 00:00 UTC, after every record
BUILD = ["build", "--exclude-resource-type", "unit_test", "--vars", "{window_end: '2024-04-01'}"]

DEPLOYMENT_DEFINITIONS = """\
definition_id,method,repository,branch,workflow
mono-deploy,workflow_run,acme/mono,main,deploy
"""
INCIDENT_DEFINITIONS = """\
definition_id,method
all-pagerduty,pagerduty
"""
REWORK_DEFINITIONS = """\
definition_id,method,repository,branch,label,title,service
during-open-incident,open_incident,,,,,
"""
SERVICES = """\
service,team,repository,pagerduty_service,jira,paths
api,core,acme/mono,API*,,services/api/**
web,front,acme/mono,Web*,,services/web/** !services/web/docs/**
mono,platform,acme/mono,,,
"""


def at(day: int, time: str) -> str:
    return f"2024-03-{day:02d} {time}:00+00"


REPOSITORY_IDS = {"acme/mono": 5, "acme/shop": 6, "acme/lib": 7}


def pull(number, title, files, day, first_commit, opened, merged, repository="acme/mono"):
    return {"id": 700 + number, "repository_id": REPOSITORY_IDS[repository], "repository": repository, "number": number, "title": title,
            "author": "dev", "labels": [], "base_ref": "main", "head_ref": f"change-{number}", "state": "merged",
            "created_at": at(day, opened), "updated_at": at(day, merged), "closed_at": at(day, merged),
            "merged_at": at(day, merged), "merge_commit_sha": f"m{number}", "first_commit_at": at(day, first_commit),
            "html_url": f"https://github.com/{repository}/pull/{number}", "files": files}


def deploy_run(id, sha, day, time, workflow="deploy", repository="acme/mono"):
    return {"id": id, "repository_id": REPOSITORY_IDS[repository], "repository": repository, "workflow_id": 9, "workflow_name": workflow,
            "head_branch": "main", "head_sha": sha, "event": "push", "status": "completed", "conclusion": "success",
            "run_attempt": 1, "run_started_at": at(day, time), "created_at": at(day, time),
            "updated_at": at(day, time), "actor": "ci", "html_url": f"https://ci/{id}"}


def page(id, title, service, created, resolved):
    return {"id": id, "incident_number": 1, "title": title, "status": "resolved", "urgency": "high",
            "priority": "P1", "service_id": f"P{service[:3].upper()}", "service_name": service, "teams": [],
            "created_at": created, "resolved_at": resolved, "updated_at": resolved,
            "last_status_change_at": resolved, "html_url": f"https://pd/{id}"}


RAW = {
    "raw_github.pull_requests": [
        pull(1, "Init", ["services/api/main.py", "services/web/index.ts", "README.md"], 4, "06:00", "07:00", "08:00"),
        pull(2, "API rate limit", ["services/api/limits.py"], 11, "06:00", "07:00", "08:00"),
        pull(3, "Web header", ["services/web/header.ts", "services/web/docs/header.md"], 11, "05:00", "06:00", "09:00"),
        pull(4, "Web docs", ["services/web/docs/guide.md"], 12, "07:00", "08:00", "09:00"),
        pull(5, "Shared build", ["services/api/x.py", "services/web/y.ts"], 13, "08:00", "09:00", "10:00"),
        pull(6, "API fix", ["services/api/fix.py"], 14, "07:00", "08:00", "09:00"),
        pull(7, "Web tweak", ["services/web/z.ts"], 14, "09:00", "10:00", "11:00"),
        pull(8, "API hotfix", ["services/api/hot.py"], 14, "11:30", "12:00", "12:30"),
    ],
    "raw_github.workflow_runs": [
        deploy_run(501, "m1", 4, "09:00"),
        deploy_run(502, "m3", 11, "10:00"),
        deploy_run(503, "m4", 12, "10:00"),
        deploy_run(504, "m5", 13, "12:00"),
        deploy_run(505, "m6", 14, "10:00"),
        deploy_run(506, "m7", 14, "12:00"),
        deploy_run(507, "m8", 14, "12:45"),
    ],
    "raw_pagerduty.incidents": [
        page("W", "Web errors", "Web frontend", at(13, "13:00"), at(13, "14:00")),
        page("A", "API errors", "API gateway", at(14, "11:00"), at(14, "13:00")),
    ],
}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def scenario(request, tmp_path_factory) -> DbtProjectCopy:
    root = tmp_path_factory.mktemp(f"monorepo_{request.param}")
    seeds = {"deployment_definitions": DEPLOYMENT_DEFINITIONS, "incident_definitions": INCIDENT_DEFINITIONS,
             "rework_definitions": REWORK_DEFINITIONS, "services": SERVICES}
    return built_scenario(root, engine_warehouse(request, root), seeds, RAW, LOAD, BUILD)


def test_each_deployment_counts_for_the_services_whose_changes_it_shipped(scenario):
    assert query(scenario, """
        select deployment_id, service, team, is_failed, is_rework from marts.deployments order by deployed_at""") == [
        ("workflow_run:501", "mono", "platform", False, False),
        ("workflow_run:502", "api, web", "core, front", False, False),
        ("workflow_run:503", "mono", "platform", False, False),
        ("workflow_run:504", "api, web", "core, front", True, False),
        ("workflow_run:505", "api", "core", True, False),
        ("workflow_run:506", "web", "front", False, False),
        ("workflow_run:507", "api", "core", False, True),
    ]


def test_each_change_counts_for_the_services_its_files_belong_to(scenario):
    assert query(scenario, "select pr_number, service, lead_time_hours from marts.changes order by pr_number") == [
        (2, "api", 4.0),
        (3, "web", 5.0),  # its docs file is not web's, its header is
        (4, "mono", 3.0),  # only web docs: no path service, so the repository's own row
        (5, "api, web", 4.0),
        (6, "api", 3.0),
        (7, "web", 3.0),
        (8, "api", 1.25),
    ]


def test_incidents_go_to_the_latest_deployment_of_their_service(scenario):
    assert query(scenario, "select incident_id, service, deployment_id from marts.incidents order by incident_id") == [
        ("pagerduty:A", "api", "workflow_run:505"),
        ("pagerduty:W", "web", "workflow_run:504"),
    ]


def test_metrics_per_service_and_team_count_a_shared_deployment_for_each_and_the_org_once(scenario):
    assert query(scenario, """
        select scope, scope_name, deployments, failed_deployments, change_failure_rate, rework_deployments,
               rework_rate, changes, lead_time_median_hours, incidents
        from marts.dora_summary where window_days = 30 and window_offset = 0 order by scope, scope_name""") == [
        ("org", "org", 7, 2, round(2 / 7, 6), 1, round(1 / 7, 6), 7, 3.0, 2),
        ("service", "api", 4, 2, 0.5, 1, 0.25, 4, 3.5, 1),
        ("service", "mono", 2, 0, 0.0, 0, 0.0, 1, 3.0, 0),
        ("service", "web", 3, 1, round(1 / 3, 6), 0, 0.0, 3, 4.0, 1),
        ("team", "core", 4, 2, 0.5, 1, 0.25, 4, 3.5, 1),
        ("team", "front", 3, 1, round(1 / 3, 6), 0, 0.0, 3, 4.0, 1),
        ("team", "platform", 2, 0, 0.0, 0, 0.0, 1, 3.0, 0),
    ]


def test_weekly_rows_add_up_to_the_summary_per_scope(scenario):
    assert query(scenario, """
        select scope, scope_name, week_start::varchar, deployments, failed_deployments, rework_deployments, changes
        from marts.dora_weekly where scope in ('org', 'service') order by scope, scope_name, week_start""") == [
        ("org", "org", "2024-03-04", 1, 0, 0, 0),
        ("org", "org", "2024-03-11", 6, 2, 1, 7),
        ("service", "api", "2024-03-11", 4, 2, 1, 4),
        ("service", "mono", "2024-03-04", 1, 0, 0, 0),
        ("service", "mono", "2024-03-11", 1, 0, 0, 1),
        ("service", "web", "2024-03-11", 3, 1, 0, 3),
    ]


def test_a_paths_glob_that_can_never_match_stops_the_run_and_a_file_without_paths_still_reads(tmp_path):
    project = DbtProjectCopy.create(tmp_path / "dbt_project", DuckDBWarehouse(tmp_path / "warehouse.duckdb"))
    project.write_seed("services", "service,team,repository,paths\napi,core,acme/mono,services/api/** services/web[\n")
    refused = project.dbt("seed", "--select", "services")
    assert not refused.success
    assert "services.csv line 2 (service 'api'): column 'paths' has an unclosed '[' in 'services/web['" in refused.text

    project.write_seed("services", "service,team,repository,pagerduty_service\napi,core,acme/mono,\n")
    earlier = project.dbt("seed", "--select", "services")
    assert earlier.success, earlier.text
    assert "services.csv: no column paths: read as empty (every row maps whole repositories)" in earlier.text


# Definitions that say which service a deployment is for, on a second scenario (hand-worked):
# acme/shop deploys one service per workflow, each definition naming its service (`service` of
# workflow_run is a name, not a filter); in acme/lib only merged PRs that changed src/ count (merged_pr
# `paths`).
#   #21 services/web/a.ts   Mar 4 08:00   run 601 deploy-api at m21 Mar 4 09:00: shop's first deployment,
#                                         counts for api (its definition), not acme/shop (the fallback)
#   #22 services/web/b.ts   Mar 5 08:00   run 602 deploy-web at m22 Mar 5 10:00: web
#   #23 services/web/c.ts   Mar 6 08:00   run 603 deploy-api at m23 Mar 6 09:00: api, though #23 is web's
#                                         by its paths; the page "API down" (Mar 6 10:00) fails it
#   acme/lib #31 src/a.py Mar 5 12:00: a deployment (lib); #32 docs/x.md Mar 6 12:00: none matches src/**.
NAMED_DEPLOYMENT_DEFINITIONS = """\
definition_id,method,repository,branch,workflow,service,paths
api-deploy,workflow_run,acme/shop,main,deploy-api,api,
lib-src,merged_pr,acme/lib,main,,,src/**
web-deploy,workflow_run,acme/shop,main,deploy-web,web,
"""
NAMED_SERVICES = """\
service,team,repository,pagerduty_service,jira,paths
api,core,acme/shop,API*,,services/api/**
web,front,acme/shop,,,services/web/**
lib,core,acme/lib,,,
"""
NAMED_RAW = {
    "raw_github.pull_requests": [
        pull(21, "Web a", ["services/web/a.ts"], 4, "06:00", "07:00", "08:00", "acme/shop"),
        pull(22, "Web b", ["services/web/b.ts"], 5, "06:00", "07:00", "08:00", "acme/shop"),
        pull(23, "Web c", ["services/web/c.ts"], 6, "06:00", "07:00", "08:00", "acme/shop"),
        pull(31, "Lib code", ["src/a.py"], 5, "10:00", "11:00", "12:00", "acme/lib"),
        pull(32, "Lib docs", ["docs/x.md"], 6, "10:00", "11:00", "12:00", "acme/lib"),
    ],
    "raw_github.workflow_runs": [
        deploy_run(601, "m21", 4, "09:00", "deploy-api", "acme/shop"),
        deploy_run(602, "m22", 5, "10:00", "deploy-web", "acme/shop"),
        deploy_run(603, "m23", 6, "09:00", "deploy-api", "acme/shop"),
    ],
    "raw_pagerduty.incidents": [page("A", "API down", "API gateway", at(6, "10:00"), at(6, "11:00"))],
}


def built_with_named_services(request, tmp_path_factory, name: str, raw: dict[str, list[dict]]) -> DbtProjectCopy:
    """`raw` built once per warehouse with the definitions naming their services (NAMED_*)."""
    root = tmp_path_factory.mktemp(f"{name}_{request.param}")
    seeds = {"deployment_definitions": NAMED_DEPLOYMENT_DEFINITIONS, "incident_definitions": INCIDENT_DEFINITIONS,
             "rework_definitions": REWORK_DEFINITIONS, "services": NAMED_SERVICES}
    return built_scenario(root, engine_warehouse(request, root), seeds, raw, LOAD, BUILD)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def named(request, tmp_path_factory) -> DbtProjectCopy:
    return built_with_named_services(request, tmp_path_factory, "named", NAMED_RAW)


def test_a_definition_naming_a_service_overrides_the_repository_and_the_paths(named):
    assert query(named, """
        select deployment_id, service, team, definition_id, is_failed from marts.deployments order by deployed_at""") == [
        ("workflow_run:601", "api", "core", "api-deploy", False),
        ("workflow_run:602", "web", "front", "web-deploy", False),
        ("merged_pr:731", "lib", "core", "lib-src", False),
        ("workflow_run:603", "api", "core", "api-deploy", True),
    ]
    assert query(named, "select incident_id, service, deployment_id from marts.incidents") == [
        ("pagerduty:A", "api", "workflow_run:603")]


def test_a_merged_pr_counts_only_when_a_changed_file_matches_its_paths(named):
    assert query(named, """
        select source_id, is_deployment from history.deployment_history where method = 'merged_pr'
        order by source_id""") == [("721", False), ("722", False), ("723", False), ("731", True), ("732", False)]


def test_changed_files_are_read_for_the_repositories_of_paths_cells_and_merged_pr_paths_filters(tmp_path):
    (tmp_path / "services.csv").write_text(NAMED_SERVICES)
    (tmp_path / "deployment_definitions.csv").write_text(NAMED_DEPLOYMENT_DEFINITIONS)
    assert repositories_with_paths(tmp_path) == ["acme/lib", "acme/shop"]


def test_the_repositories_read_with_changed_files_are_those_a_glob_names():
    repositories = ["acme/lib", "acme/mono", "acme/mobile", "acme/shop"]
    # '' names every repository; a leading '!' names every repository its glob does not match
    assert names_repositories([], repositories) == set()
    assert names_repositories([""], repositories) == set(repositories)
    assert names_repositories(["acme/mo*", "acme/l[i]b"], repositories) == {"acme/lib", "acme/mono", "acme/mobile"}
    assert names_repositories(["!acme/mo*"], repositories) == {"acme/lib", "acme/shop"}


# Lead time per service when each definition names its service (hand-worked, acme/shop with the
# definitions and services above): a PR is shipped, for each service its paths give it, by the first
# deployment of its repository and branch (at or after its merge, by the usual cut-off) that counts
# for that service; the org counts it once, at the first of those. A PR without path services keeps
# the plain rule (the first deployment, whichever service it names). Mar 11 is a Monday.
#   #40 services/api/a.py   first 06:00 merged Mar 11 07:00   run 801 deploy-api m40 Mar 11 08:00: the baseline
#   #41 services/web/a.ts   first 08:00 merged Mar 12 10:00   run 802 deploy-api m41 Mar 12 11:00: api's, not #41's
#                                                             run 803 deploy-web m41 Mar 12 12:00: #41 web, 12 - 8 = 4 h
#   #42 api/b.py + web/b.ts first 07:00 merged Mar 13 09:00   run 804 deploy-api m42 Mar 13 10:00: #42 api, 3 h (org: 3 h)
#                                                             run 805 deploy-web m42 Mar 13 13:00: #42 web, 6 h
#   #43 README.md (no path service) first 06:00, merged Mar 14 08:00; run 806 deploy-web m43 Mar 14 09:00: 3 h, web
#       (the deployment's service, as before)
#   Page "API errors" Mar 15 10:00-11:00: the latest api deployment before it is 804: failed.
# Deploy waits: #41 web 2 h; #42 api 1 h, web 4 h; #43 1 h. window_end 2024-04-01 (30 days: everything).
#   org: 6 deployments, 1 failed, changes #41 #42 #43: lead median of 4 3 3 = 3, deploy wait of 2 1 1 = 1
#   api (core): 801 802 804, 1 failed; change #42: lead 3, deploy wait 1
#   web (front): 803 805 806, none failed; changes #41 #42 #43: lead median of 4 6 3 = 4, deploy wait of 2 4 1 = 2
PER_SERVICE_RAW = {
    "raw_github.pull_requests": [
        pull(40, "API a", ["services/api/a.py"], 11, "06:00", "06:30", "07:00", "acme/shop"),
        pull(41, "Web a", ["services/web/a.ts"], 12, "08:00", "09:00", "10:00", "acme/shop"),
        pull(42, "Both b", ["services/api/b.py", "services/web/b.ts"], 13, "07:00", "08:00", "09:00", "acme/shop"),
        pull(43, "Readme", ["README.md"], 14, "06:00", "07:00", "08:00", "acme/shop"),
    ],
    "raw_github.workflow_runs": [
        deploy_run(801, "m40", 11, "08:00", "deploy-api", "acme/shop"),
        deploy_run(802, "m41", 12, "11:00", "deploy-api", "acme/shop"),
        deploy_run(803, "m41", 12, "12:00", "deploy-web", "acme/shop"),
        deploy_run(804, "m42", 13, "10:00", "deploy-api", "acme/shop"),
        deploy_run(805, "m42", 13, "13:00", "deploy-web", "acme/shop"),
        deploy_run(806, "m43", 14, "09:00", "deploy-web", "acme/shop"),
    ],
    "raw_pagerduty.incidents": [page("A", "API errors", "API gateway", at(15, "10:00"), at(15, "11:00"))],
}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def per_service(request, tmp_path_factory) -> DbtProjectCopy:
    return built_with_named_services(request, tmp_path_factory, "per_service", PER_SERVICE_RAW)


def test_a_change_is_shipped_for_each_service_by_the_first_deployment_counting_for_it(per_service):
    assert query(per_service, """
        select change_id, service, team, deployment_id from intermediate.int_change_services
        order by change_id, service""") == [
        ("741", "web", "front", "workflow_run:803"),  # not 802: deploy-api counts for api only
        ("742", "api", "core", "workflow_run:804"),
        ("742", "web", "front", "workflow_run:805"),
        ("743", "web", "front", "workflow_run:806"),  # no path service: the first deployment, web's
    ]
    assert query(per_service, """
        select pr_number, service, deployment_id, shipped_by_reason, lead_time_hours, deploy_wait_hours
        from marts.changes order by pr_number""") == [
        (41, "web", "workflow_run:803", "merge commit deployed", 4.0, 2.0),
        (42, "api, web", "workflow_run:804", "merge commit deployed", 3.0, 1.0),  # the org: its first
        (43, "web", "workflow_run:806", "merge commit deployed", 3.0, 1.0),
    ]


def test_per_service_lead_times_reach_the_summary_and_the_weeks_with_the_org_counting_a_change_once(per_service):
    assert query(per_service, """
        select scope, scope_name, deployments, failed_deployments, changes, lead_time_median_hours,
               deploy_wait_median_hours
        from marts.dora_summary where window_days = 30 and window_offset = 0 order by scope, scope_name""") == [
        ("org", "org", 6, 1, 3, 3.0, 1.0),
        ("service", "api", 3, 1, 1, 3.0, 1.0),
        ("service", "web", 3, 0, 3, 4.0, 2.0),
        ("team", "core", 3, 1, 1, 3.0, 1.0),
        ("team", "front", 3, 0, 3, 4.0, 2.0),
    ]
    assert query(per_service, """
        select scope, scope_name, week_start::varchar, deployments, changes, lead_time_median_hours
        from marts.dora_weekly order by scope, scope_name, week_start""") == [
        ("org", "org", "2024-03-11", 6, 3, 3.0),
        ("service", "api", "2024-03-11", 3, 1, 3.0),
        ("service", "web", "2024-03-11", 3, 3, 4.0),
        ("team", "core", "2024-03-11", 3, 1, 3.0),
        ("team", "front", "2024-03-11", 3, 3, 4.0),
    ]


def test_a_change_counts_in_a_service_window_that_its_org_deployment_precedes(per_service, tmp_path):
    # window_end Sep 9 12:00: the earliest window (90 days, offset 1) is [Mar 13 12:00, Jun 11 12:00).
    # #42's org deployment (804, api, Mar 13 10:00) is before it; its web deployment (805, 13:00) is
    # inside: web and front count #42 (6 h) and #43 (3 h), median 4.5; the org only #43 (806).
    # Deployments in the window: 805 and 806 (web); api's 801, 802, 804 are all before it.
    project = per_service.clone(tmp_path / "later")
    run = project.dbt("run", "-s", "int_scope_window_metrics", "dora_summary",
                      "--vars", "{window_end: '2024-09-09 12:00:00'}")
    assert run.success, run.text
    assert query(project, """
        select scope, scope_name, deployments, changes, lead_time_median_hours
        from marts.dora_summary where window_days = 90 and window_offset = 1 order by scope, scope_name""") == [
        ("org", "org", 2, 1, 3.0),
        ("service", "api", 0, 0, None),
        ("service", "web", 2, 2, 4.5),
        ("team", "core", 0, 0, None),
        ("team", "front", 2, 2, 4.5),
    ]
