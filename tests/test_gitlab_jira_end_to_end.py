"""GitLab and Jira end to end: the simulated org (tests/gitlab_jira_fixtures.py, worked out there by
hand) extracted by the real dlt sources, then the dbt project with GitLab/Jira definitions; then
records deleted at the source and new ones added, extracted incrementally and built again."""

from __future__ import annotations

import pytest

from dbt_fixtures import contracted_columns, execute, loaded_columns
from gitlab_jira_fixtures import at, build_scenario, extract, make_project, merge_request, pipeline
from simorg.server import SimulatedOrg

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

BUILD = ["build", "--exclude-resource-type", "unit_test", "--vars", "{window_end: '2024-02-01'}"]

DEPLOYMENTS = """
    select deployment_id, service, definition_id, deployed_at::varchar, is_failed
    from marts.deployments order by deployment_id"""
CHANGES = "select change_id, deployment_id, lead_time_hours from marts.changes order by change_id"
INCIDENTS = """
    select incident_id, service, team, time_to_restore_hours, deployment_id
    from marts.incidents order by incident_id"""

FIRST_DEPLOYMENTS = [
    ("gitlab_deployment:41", "ledger", "gl-deployments", "2024-01-04 10:00:00", False),  # ledger baseline
    ("gitlab_deployment:44", "ledger", "gl-deployments", "2024-01-07 10:00:00", False),  # 42 staging, 43 failed
    ("gitlab_merged_mr:15", "acme/tools/cli", "gl-merged", "2024-01-08 10:00:00", False),  # unmapped: its path
    ("gitlab_merged_mr:16", "acme/tools/cli", "gl-merged", "2024-01-09 10:00:00", False),
    ("gitlab_pipeline:21", "billing", "gl-pipelines", "2024-01-01 11:00:00", False),
    # the failed allow_failure `smoke` job leaves 22 a success; OPS-1 (billing, Jan 2 13:00) makes it failed
    ("gitlab_pipeline:22", "billing", "gl-pipelines", "2024-01-02 12:00:00", True),
    ("gitlab_pipeline:25", "billing", "gl-pipelines", "2024-01-03 12:00:00", False),  # 23 child, 24 failed
    ("jira_issue:10004:Deployed", "releases", "jira-deployed", "2024-01-10 10:00:00", False),  # REL-2 never Deployed
]
FIRST_CHANGES = [
    # MR 11 and MR 15 shipped with their project's baseline deployment: not changes.
    ("gitlab:12", "gitlab_pipeline:22", 4.0),  # squash commit s2 deployed; Jan 2 08:00 -> 12:00
    ("gitlab:13", "gitlab_pipeline:25", 6.0),  # Jan 3 06:00 -> 12:00 (pipeline 24 failed)
    ("gitlab:14", "gitlab_deployment:44", 25.0),  # Jan 6 09:00 -> Jan 7 10:00
    ("gitlab:16", "gitlab_merged_mr:16", 2.0),  # its own deployment: Jan 9 08:00 -> 10:00
]
FIRST_INCIDENTS = [
    ("jira_issue:10001", "billing", "payments", 2.0, "gitlab_pipeline:22"),  # OPS/billing; 13:00 -> 15:00
    ("jira_issue:10002", "OPS", None, 2.0, None),  # no resolution: done category at 10:00; OPS unmapped
]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """Extract and build once; then delete pipeline 21, MR 12 and OPS-1 at the source, add MR 17
    (first commit Jan 12 07:00, merged 10:00, merge commit n6) and pipeline 26 (n6, Jan 12 12:00),
    extract incrementally and build again."""
    root = tmp_path_factory.mktemp("gitlab_jira")
    scenario = build_scenario()
    project = make_project(root)
    with SimulatedOrg(scenario) as org:
        extract(org, scenario, project.warehouse.path, root / "dlt")
        first = project.dbt(*BUILD)
        assert first.success, first.text
        before = {sql: execute(project.warehouse, sql) for sql in (DEPLOYMENTS, CHANGES, INCIDENTS)}

        scenario.pipelines = [p for p in scenario.pipelines if p.id != 21]
        scenario.merge_requests = [mr for mr in scenario.merge_requests if mr.id != 12]
        scenario.jira_issues = [i for i in scenario.jira_issues if i.key != "OPS-1"]
        scenario.merge_requests.append(merge_request("acme/platform/billing", 17, 4, at(12, 7), at(12, 8),
                                                     at(12, 10), merge_sha="n6".ljust(40, "0")))
        scenario.pipelines.append(pipeline(26, "n6".ljust(40, "0"), "success", at(12, 12)))
        org.reset_requests()
        extract(org, scenario, project.warehouse.path, root / "dlt")
        requests = dict(org.requests)
    for table in ("raw_gitlab.pipelines", "raw_gitlab.merge_requests", "raw_jira.issues"):
        execute(project.warehouse, f"delete from {table} where id in (21, 12, 10001)")  # gone at the source
    second = project.dbt(*BUILD)
    assert second.success, second.text
    after = {sql: execute(project.warehouse, sql) for sql in (DEPLOYMENTS, CHANGES, INCIDENTS)}
    return before, after, requests, project.warehouse


def test_each_gitlab_and_jira_method_counts_what_its_definition_matches(pipeline_run):
    before, *_ = pipeline_run
    assert before[DEPLOYMENTS] == FIRST_DEPLOYMENTS


def test_merge_requests_follow_the_pull_request_lead_time_rules(pipeline_run):
    before, *_ = pipeline_run
    assert before[CHANGES] == FIRST_CHANGES


def test_jira_incidents_run_from_created_to_resolved(pipeline_run):
    before, *_ = pipeline_run
    assert before[INCIDENTS] == FIRST_INCIDENTS


def test_deleted_records_stay_and_new_ones_arrive(pipeline_run):
    _, after, *_ = pipeline_run
    assert after[DEPLOYMENTS] == sorted(FIRST_DEPLOYMENTS + [
        ("gitlab_pipeline:26", "billing", "gl-pipelines", "2024-01-12 12:00:00", False)])
    assert after[CHANGES] == FIRST_CHANGES + [("gitlab:17", "gitlab_pipeline:26", 5.0)]  # Jan 12 07:00 -> 12:00
    assert after[INCIDENTS] == FIRST_INCIDENTS


def test_the_second_run_reads_only_what_changed_since_the_cursor_minus_lookback(pipeline_run):
    _, _, requests, _ = pipeline_run
    # Billing's pipeline cursor after run 1: Jan 3 12:00 (25); lookback 1 h. Pipelines updated
    # since Jan 3 11:00: 24 and 25 (finished, read in run 1 with this updated_at: skipped) and
    # the new 26 -> only 26 is read once more, with its jobs.
    assert requests[("gitlab", "pipeline")] == 1
    assert requests[("gitlab", "pipeline_jobs")] == 1
    # Jira, per project from its cursor less 1 h: OPS (Jan 5 10:00, OPS-2) -> OPS-3, OPS-2; REL (Jan 11
    # 09:00, REL-2) -> REL-2; then the projects not seen yet (not OPS, REL): none. Three searches,
    # a changelog request for each page with issues.
    assert requests[("jira", "search_jql")] == 3
    assert requests[("jira", "changelog_bulkfetch")] == 2


def test_dlt_wrote_the_raw_tables_the_contract_describes(pipeline_run):
    """docs/raw-tables.md (the dbt sources YAML) against the tables dlt created: names, types, order."""
    *_, warehouse = pipeline_run
    loaded = loaded_columns(warehouse, ["raw_gitlab", "raw_jira"])
    assert sorted(loaded) == ["raw_gitlab.deployments", "raw_gitlab.jobs", "raw_gitlab.merge_requests",
                              "raw_gitlab.pipelines", "raw_jira.issues", "raw_jira.status_changes"]
    assert loaded == contracted_columns(loaded)
