"""A small GitLab + Jira org written by hand (January 2024, UTC), and helpers that extract it with
the real dlt sources into a warehouse and build the dbt project over it.

GitLab (branch main everywhere):
  acme/platform/billing, deployed by pipelines (definition gl-pipelines):
    MR 11 (!1)  first commit Jan 1 08:00, opened 09:00, merged 10:00, merge commit m1
    MR 12 (!2)  first commit Jan 2 08:00, opened 09:00, merged 10:00, squashed: squash commit s2 only
    MR 13 (!3)  first commit Jan 3 06:00, opened 08:00, merged 09:00, merge commit m3
    pipeline 21 push m1 success, finished Jan 1 11:00            -> baseline deployment
    pipeline 22 push s2 success, finished Jan 2 12:00; its `smoke` job failed with allow_failure
    pipeline 23 parent_pipeline m3 success, finished Jan 3 10:30  (child: never listed, never counted)
    pipeline 24 push m3 failed, finished Jan 3 11:00              (conclusion default success: no)
    pipeline 25 push m3 success, finished Jan 3 12:00
  acme/platform/ledger, deployed by GitLab deployments (definition gl-deployments):
    MR 14 (!1)  first commit Jan 6 09:00, merged Jan 6 12:00, merge commit l2
    deployment 41 production success l1, finished Jan 4 10:00   -> baseline
    deployment 42 staging success, Jan 5 10:00                  (environment default production: no)
    deployment 43 production failed, Jan 6 10:00                (state default success: no)
    deployment 44 production success l2, finished Jan 7 10:00
  acme/tools/cli, deployed by merged MRs (definition gl-merged):
    MR 15 (!1)  first commit Jan 8 07:00, merged Jan 8 10:00     -> baseline
    MR 16 (!2)  first commit Jan 9 08:00, merged Jan 9 10:00
Jira (JQL `project in (OPS, REL)`):
  OPS-1 Incident High [billing]  created Jan 2 13:00, resolved Jan 2 15:00
  OPS-2 Incident Low             created Jan 5 08:00, Done without resolution; category done Jan 5 10:00
  OPS-3 Task                     created Jan 5 09:00 (not an incident: issue_type Incident)
  REL-1 Story: To Do -> Deployed Jan 10 10:00 -> Done Jan 10 12:00 (resolved)  (definition jira-deployed)
  REL-2 Story: To Do -> Done Jan 11 09:00 (resolved): never Deployed, so no deployment
services.csv: billing <- acme/platform/billing and Jira OPS/billing; ledger <- acme/platform/ledger;
releases <- Jira REL*. Unmapped: acme/tools/cli (its path), OPS-2 (project key OPS).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import dlt

from dbt_fixtures import DbtProjectCopy
from dlt_sources.gitlab import gitlab
from dlt_sources.jira import jira
from dora.core.home import DBT_PROJECT_DIR
from simorg.scenario import (
    GitLabDeployment,
    GitLabJob,
    GitLabProject,
    JiraIssue,
    JiraTransition,
    MergeRequest,
    Pipeline,
    Scenario,
)

BILLING, LEDGER, CLI = "acme/platform/billing", "acme/platform/ledger", "acme/tools/cli"
BACKFILL_DAYS = 36500  # the scenario lies in 2024: reach it whatever today is


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, minute, tzinfo=timezone.utc)


def merge_request(project, id, iid, first_commit, opened, merged, merge_sha=None, squash_sha=None) -> MergeRequest:
    return MergeRequest(project, id, iid, f"MR {id}", "dev", opened, merged, [first_commit, opened],
                        merged_at=merged, merge_commit_sha=merge_sha, squash_commit_sha=squash_sha)


def pipeline(id, sha, status, finished, source="push", jobs=()) -> Pipeline:
    return Pipeline(BILLING, id, id - 20, "main", sha, source, status, finished.replace(hour=finished.hour - 1),
                    finished, finished.replace(hour=finished.hour - 1), finished, jobs=list(jobs))


def deployment(id, environment, status, sha, finished) -> GitLabDeployment:
    return GitLabDeployment(LEDGER, id, id - 40, environment, status, sha, "main", finished, finished, finished)


def issue(id, key, issue_type, status, category, created, updated, resolved=None, **more) -> JiraIssue:
    return JiraIssue(id, key, f"{key} summary", issue_type, status, category, created, updated, resolved, **more)


def build_scenario() -> Scenario:
    return Scenario(
        gitlab_projects=[GitLabProject(1, BILLING), GitLabProject(2, LEDGER), GitLabProject(3, CLI)],
        merge_requests=[
            merge_request(BILLING, 11, 1, at(1, 8), at(1, 9), at(1, 10), merge_sha="m1".ljust(40, "0")),
            merge_request(BILLING, 12, 2, at(2, 8), at(2, 9), at(2, 10), squash_sha="s2".ljust(40, "0")),
            merge_request(BILLING, 13, 3, at(3, 6), at(3, 8), at(3, 9), merge_sha="m3".ljust(40, "0")),
            merge_request(LEDGER, 14, 1, at(6, 9), at(6, 10), at(6, 12), merge_sha="l2".ljust(40, "0")),
            merge_request(CLI, 15, 1, at(8, 7), at(8, 8), at(8, 10), merge_sha="c1".ljust(40, "0")),
            merge_request(CLI, 16, 2, at(9, 8), at(9, 9), at(9, 10), merge_sha="c2".ljust(40, "0")),
        ],
        pipelines=[
            pipeline(21, "m1".ljust(40, "0"), "success", at(1, 11)),
            pipeline(22, "s2".ljust(40, "0"), "success", at(2, 12), jobs=[
                GitLabJob(221, "deploy", "deploy", "success", finished_at=at(2, 11, 50)),
                GitLabJob(222, "smoke", "verify", "failed", allow_failure=True, finished_at=at(2, 12)),
            ]),
            pipeline(23, "m3".ljust(40, "0"), "success", at(3, 10, 30), source="parent_pipeline"),
            pipeline(24, "m3".ljust(40, "0"), "failed", at(3, 11)),
            pipeline(25, "m3".ljust(40, "0"), "success", at(3, 12)),
        ],
        gitlab_deployments=[
            deployment(41, "production", "success", "l1".ljust(40, "0"), at(4, 10)),
            deployment(42, "staging", "success", "l2".ljust(40, "0"), at(5, 10)),
            deployment(43, "production", "failed", "l2".ljust(40, "0"), at(6, 10)),
            deployment(44, "production", "success", "l2".ljust(40, "0"), at(7, 10)),
        ],
        jira_issues=[
            issue(10001, "OPS-1", "Incident", "Done", "done", at(2, 13), at(2, 15), at(2, 15), priority="High",
                  components=["billing"]),
            issue(10002, "OPS-2", "Incident", "Closed", "done", at(5, 8), at(5, 10), priority="Low",
                  status_category_changed=at(5, 10)),
            issue(10003, "OPS-3", "Task", "Open", "new", at(5, 9), at(5, 9)),
            issue(10004, "REL-1", "Story", "Done", "done", at(9, 9), at(10, 12), at(10, 12), transitions=[
                JiraTransition(1, at(10, 10), "To Do", "Deployed"), JiraTransition(2, at(10, 12), "Deployed", "Done")]),
            issue(10005, "REL-2", "Story", "Done", "done", at(9, 9), at(11, 9), at(11, 9), transitions=[
                JiraTransition(3, at(11, 9), "To Do", "Done")]),
        ],
    )


DEPLOYMENT_DEFINITIONS = [
    {"definition_id": "gl-pipelines", "method": "gitlab_pipeline", "repository": "acme/platform/*", "branch": "main"},
    {"definition_id": "gl-deployments", "method": "gitlab_deployment", "repository": LEDGER},
    {"definition_id": "gl-merged", "method": "gitlab_merged_mr", "repository": CLI, "branch": "main"},
    {"definition_id": "jira-deployed", "method": "jira_issue", "project": "REL", "status": "Deployed"},
]
INCIDENT_DEFINITIONS = [{"definition_id": "jira-incidents", "method": "jira_issue", "project": "OPS",
                         "issue_type": "Incident"}]
SERVICES = [
    {"service": "billing", "team": "payments", "repository": BILLING, "jira": "OPS/billing"},
    {"service": "ledger", "team": "payments", "repository": LEDGER},
    {"service": "releases", "team": "platform", "jira": "REL*"},
]


def seed_csv(name: str, rows: list[dict[str, str]]) -> str:
    """Rows under the header of the shipped seed file (so the test follows its columns)."""
    with open(DBT_PROJECT_DIR / "seeds" / f"{name}.csv", newline="") as handle:
        header = next(csv.reader(handle))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def make_project(root: Path) -> DbtProjectCopy:
    project = DbtProjectCopy.create(root / "dbt_project", root / "warehouse.duckdb")
    project.write_seed("deployment_definitions", seed_csv("deployment_definitions", DEPLOYMENT_DEFINITIONS))
    project.write_seed("incident_definitions", seed_csv("incident_definitions", INCIDENT_DEFINITIONS))
    project.write_seed("services", seed_csv("services", SERVICES))
    return project


def extract(org, scenario: Scenario, warehouse: Path, state_dir: Path) -> None:
    """One incremental run of both sources into `warehouse` (dlt state kept in `state_dir`)."""
    sources = {
        "gitlab": gitlab(access_token=scenario.gitlab_token, group="acme", base_url=org.gitlab_url,
                         graphql_url=org.gitlab_graphql_url, backfill_days=BACKFILL_DAYS, lookback_hours=1),
        "jira": jira(base_url=org.jira_url, jql="project in (OPS, REL)", api_token=scenario.jira_token,
                     email=scenario.jira_email, backfill_days=BACKFILL_DAYS, lookback_hours=1),
    }
    for name, source in sources.items():
        pipeline = dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(str(warehouse)),
                                dataset_name=f"raw_{name}", pipelines_dir=str(state_dir))
        pipeline.run(source)
