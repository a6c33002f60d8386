"""GitLab and Jira read per project: a project added later gets its whole backfill while the
others go on from their cursors, and a run split into many loads reads nothing twice.

GitLab group acme: acme/billing and, later, acme/ledger; each has 150 deployments, deployment n
updated n hours ago plus 200 days (older than any lookback: only a backfill reaches them).
Jira: OPS and REL, 30 issues each, issue n updated n hours ago plus 100 days.
"""

from __future__ import annotations

from dlt_sources.gitlab import gitlab
from dlt_sources.jira import jira
from simorg.scenario import GitLabDeployment, GitLabProject, JiraIssue, Scenario
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, resource_state, rows, run_until_done  # noqa: F401

SHA = "e" * 40


def deployments(project: str, first_id: int) -> list[GitLabDeployment]:
    def one(n: int) -> GitLabDeployment:
        at = ago(200, hours=n)
        return GitLabDeployment(project, first_id + n, n + 1, "production", "success", SHA, "main", at, at, at)

    return [one(n) for n in range(150)]


def issues(project: str, first_id: int) -> list[JiraIssue]:
    def one(n: int) -> JiraIssue:
        at = ago(100, hours=n)
        return JiraIssue(first_id + n, f"{project}-{n + 1}", f"Issue {n}", "Incident", "Open", "new", at, at)

    return [one(n) for n in range(30)]


def test_a_gitlab_project_added_later_is_backfilled_and_loads_of_two_requests_read_nothing_twice(home):
    scenario = Scenario(gitlab_projects=[GitLabProject(1, "acme/billing")], gitlab_deployments=deployments("acme/billing", 1000))
    with SimulatedOrg(scenario) as org:

        def source():
            return gitlab(access_token=scenario.gitlab_token, group="acme", base_url=org.gitlab_url,
                          requests_per_load=2).with_resources("deployments")

        loads = run_until_done(home, source)
        first = dict(org.requests)
        scenario.gitlab_projects.append(GitLabProject(2, "acme/ledger"))
        scenario.gitlab_deployments += deployments("acme/ledger", 2000)
        org.reset_requests()
        run_until_done(home, source)
        second = dict(org.requests)

    # Run 1: billing's 150 deployments in pages of 100 and 50. Loads of 2 requests: the group
    # listing and page 1, then (continuing from the newest row stored, which comes again)
    # the listing and the remaining 51 rows: 2 loads, no page read twice.
    assert len(loads) == 2
    assert first == {("gitlab", "group_projects"): 2, ("gitlab", "deployments"): 2}
    # Run 2: billing from its cursor less the 72 h lookback (nothing new: one empty page), which
    # fills load 1; ledger, new, from the backfill start: its 2 pages in loads 2 and 3.
    assert second == {("gitlab", "group_projects"): 3, ("gitlab", "deployments"): 3}
    assert rows(home, "raw_gitlab", "select project, count(*), count(distinct id) from {t}.deployments group by 1 order by 1") == [
        ("acme/billing", 150, 150), ("acme/ledger", 150, 150)]
    pass_state = resource_state(home, "gitlab", "deployments")["pass"]
    assert (pass_state["done"], pass_state["left"]) == (["acme/billing", "acme/ledger"], [])


def test_a_jira_project_added_to_the_jql_later_is_backfilled(home):
    scenario = Scenario(jira_issues=issues("OPS", 10_000) + issues("REL", 20_000))
    with SimulatedOrg(scenario) as org:

        def source(jql: str):
            return lambda: jira(base_url=org.jira_url, jql=jql, api_token=scenario.jira_token,
                                email=scenario.jira_email).with_resources("issues")

        run_until_done(home, source("project = OPS"))
        first = dict(org.requests)
        org.reset_requests()
        run_until_done(home, source("project in (OPS, REL)"))
        second = dict(org.requests)

    # Run 1: no project known: one search for projects not seen yet finds OPS's 30 issues.
    assert first == {("jira", "search_jql"): 1}
    # Run 2: OPS from its cursor less 72 h (its newest issue is 100 days old: nothing), and the
    # projects not seen yet (`project not in ("OPS")`) from the backfill start: REL's 30 issues.
    assert second == {("jira", "search_jql"): 2}
    assert rows(home, "raw_jira", "select project, count(*), min(updated) from {t}.issues group by 1 order by 1") == [
        ("OPS", 30, ago(100, hours=29)), ("REL", 30, ago(100, hours=29))]
    units = resource_state(home, "jira", "issues")["units"]
    assert sorted(units) == ["(projects not seen yet)", "OPS", "REL"]
    assert units["(projects not seen yet)"] == {}  # it keeps no cursor: it always reaches back to the backfill
