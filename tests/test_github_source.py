"""The GitHub source against the simulated org: complete first load, change-only second load,
survived faults, clear failures that store nothing, and the cost in requests."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from graphql import parse, validate

from dlt_sources import github as github_module
from dlt_sources.budget import graphql_cost
from dlt_sources.errors import SourceError
from simorg.faults import Fault
from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    PullRequest,
    Release,
    Repo,
    Scenario,
    WorkflowRun,
)
from simorg.ratelimit import query_cost
from simorg.server import SimulatedOrg
from sources_fixtures import ago, cursor, fast_retries, github_source, rows, run, run_until_done  # noqa: F401

SHA_A, SHA_B = "a" * 40, "b" * 40


def run_record(repo: str, id: int, created_days: float, **changes) -> WorkflowRun:
    fields = dict(
        repo=repo, id=id, workflow_id=77, workflow_name="deploy", head_branch="main", head_sha=SHA_A,
        event="push", status="completed", conclusion="success", created_at=ago(created_days),
        run_started_at=ago(created_days), updated_at=ago(created_days), actor="alice",
    )
    return WorkflowRun(**{**fields, **changes})


def small_scenario() -> Scenario:
    """Two repositories; one PR, one run and one release older than the 365-day backfill."""
    return Scenario(
        repos=[Repo("acme", "api", 101), Repo("acme", "web", 102)],
        pull_requests=[
            PullRequest("acme/api", 1, 1001, "Fix login", "alice", created_at=ago(10), updated_at=ago(9),
                        first_commit_at=ago(11), labels=["bug", "hotfix"], merged_at=ago(9), closed_at=ago(9),
                        merge_commit_sha=SHA_A),
            PullRequest("acme/api", 2, 1002, "Add search", "bob", created_at=ago(3), updated_at=ago(2),
                        first_commit_at=ago(3, hours=1), head_ref="search"),
            PullRequest("acme/api", 3, 1003, "Spike", None, created_at=ago(20), updated_at=ago(19),
                        first_commit_at=None, closed_at=ago(19)),
            PullRequest("acme/api", 4, 1004, "Ancient", "alice", created_at=ago(401), updated_at=ago(400),
                        first_commit_at=ago(402), merged_at=ago(400), closed_at=ago(400)),
            PullRequest("acme/web", 1, 2001, "Restyle", "carol", created_at=ago(5), updated_at=ago(4),
                        first_commit_at=ago(6), merged_at=ago(4), closed_at=ago(4), merge_commit_sha=SHA_B),
        ],
        workflow_runs=[
            run_record("acme/api", 5000, 400),
            run_record("acme/api", 5001, 9),
            run_record("acme/api", 5002, 1, status="in_progress", conclusion=None),
            run_record("acme/web", 6001, 5, conclusion="failure", actor=None),
        ],
        releases=[
            Release("acme/api", 7001, "v1.0", "main", "First", ago(9), ago(9), "alice"),
            Release("acme/api", 7002, "v1.1", "main", "Next", ago(2), None, "bob", draft=True),
        ],
        deployments=[
            Deployment("acme/api", 8001, SHA_A, "main", "production", ago(9), "alice", statuses=[
                DeploymentStatus(1, "in_progress", ago(9)),
                DeploymentStatus(2, "success", ago(9) + timedelta(minutes=10), log_url="https://ci/8001"),
            ]),
            Deployment("acme/api", 8002, SHA_A, "main", "staging", ago(1), "bob"),
            Deployment("acme/web", 9001, SHA_B, "main", "production", ago(4), "carol", statuses=[
                DeploymentStatus(3, "failure", ago(4) + timedelta(minutes=5)),
            ]),
        ],
    )


def test_first_run_loads_everything_in_the_backfill_window(home):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org))

    # 5 PRs minus #1004, last updated 400 days ago (before the 365-day backfill).
    assert rows(home, "raw_github", "select id from {t}.pull_requests order by id") == [(1001,), (1002,), (1003,), (2001,)]
    pr = rows(home, "raw_github", """
        select repository_id, repository, number, title, author, labels, base_ref, head_ref, state,
               created_at, updated_at, closed_at, merged_at, merge_commit_sha, first_commit_at
        from {t}.pull_requests where id = 1001""")[0]
    assert pr[:5] == (101, "acme/api", 1, "Fix login", "alice")
    assert json.loads(pr[5]) == ["bug", "hotfix"]
    assert pr[6:9] == ("main", "feature", "merged")
    assert pr[9:] == (ago(10), ago(9), ago(9), ago(9), SHA_A, ago(11))
    assert rows(home, "raw_github", "select author, state, first_commit_at, merged_at from {t}.pull_requests where id = 1003") == [
        (None, "closed", None, None)
    ]
    assert rows(home, "raw_github", "select state, head_ref from {t}.pull_requests where id = 1002") == [("open", "search")]

    # Runs: #5000 (400 days old) is outside the backfill.
    assert rows(home, "raw_github", """
        select id, repository_id, repository, workflow_id, workflow_name, status, conclusion, actor, created_at
        from {t}.workflow_runs order by id""") == [
        (5001, 101, "acme/api", 77, "deploy", "completed", "success", "alice", ago(9)),
        (5002, 101, "acme/api", 77, "deploy", "in_progress", None, "alice", ago(1)),
        (6001, 102, "acme/web", 77, "deploy", "completed", "failure", None, ago(5)),
    ]
    assert rows(home, "raw_github", """
        select id, repository_id, repository, tag_name, draft, created_at, published_at, author
        from {t}.releases order by id""") == [
        (7001, 101, "acme/api", "v1.0", False, ago(9), ago(9), "alice"),
        (7002, 101, "acme/api", "v1.1", True, ago(2), None, "bob"),
    ]
    assert rows(home, "raw_github", """
        select id, repository_id, environment, sha, ref, creator, latest_status_state, latest_status_at,
               latest_status_log_url
        from {t}.deployments order by id""") == [
        (8001, 101, "production", SHA_A, "main", "alice", "success", ago(9) + timedelta(minutes=10), "https://ci/8001"),
        (8002, 101, "staging", SHA_A, "main", "bob", None, None, None),
        (9001, 102, "production", SHA_B, "main", "carol", "failure", ago(4) + timedelta(minutes=5), None),
    ]
    # Each deployment's status history, oldest first (a deployment counts at its first matching status).
    statuses = {row[0]: [(s["state"], datetime.fromisoformat(s["created_at"]), s["log_url"]) for s in json.loads(row[1])]
                for row in rows(home, "raw_github", "select id, statuses from {t}.deployments")}
    assert statuses == {
        8001: [("in_progress", ago(9), None), ("success", ago(9) + timedelta(minutes=10), "https://ci/8001")],
        8002: [],
        9001: [("failure", ago(4) + timedelta(minutes=5), None)],
    }


def test_second_run_fetches_only_changes_and_merges(home):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org))

        pr_1002 = next(pr for pr in scenario.pull_requests if pr.id == 1002)
        pr_1002.merged_at = pr_1002.closed_at = pr_1002.updated_at = ago(hours=1)
        scenario.pull_requests.append(
            PullRequest("acme/api", 5, 1005, "New", "bob", created_at=ago(hours=2), updated_at=ago(hours=2),
                        first_commit_at=ago(hours=3))
        )
        run_5002 = next(r for r in scenario.workflow_runs if r.id == 5002)
        run_5002.status, run_5002.conclusion, run_5002.updated_at = "completed", "success", ago(hours=1)
        scenario.workflow_runs.append(run_record("acme/api", 5003, 0.1))
        scenario.deployments[1].statuses.append(DeploymentStatus(4, "success", ago(hours=1)))
        org.reset_requests()
        run(home, github_source(org))
        second = dict(org.requests)

        org.reset_requests()
        run(home, github_source(org))
        unchanged = dict(org.requests)

    assert rows(home, "raw_github", "select id, state from {t}.pull_requests order by id") == [
        (1001, "merged"), (1002, "merged"), (1003, "closed"), (1005, "open"), (2001, "merged"),
    ]
    assert rows(home, "raw_github", "select id, status, conclusion from {t}.workflow_runs order by id") == [
        (5001, "completed", "success"), (5002, "completed", "success"), (5003, "completed", "success"),
        (6001, "completed", "failure"),
    ]
    assert rows(home, "raw_github", "select count(*) from {t}.releases") == [(2,)]
    assert rows(home, "raw_github", "select id, latest_status_state from {t}.deployments order by id") == [
        (8001, "success"), (8002, "success"), (9001, "failure"),
    ]
    # Second run. GraphQL: per resource one check of both repositories, then a page of acme/api
    # only: its newest PR update (#1002 merged, #1005 new) and its newest deployment activity
    # (8002's new status) moved, acme/web's did not (2 x 2). REST: one request per repository and
    # resource; api's runs changed (#5002 completed, #5003 is new), web's did not and releases did
    # not: 304; the draft v1.1 (#7002) is asked for by id (200: its ETag is not known yet).
    assert second == {
        ("github", "graphql"): 4,
        ("github", "actions/runs"): 1,
        ("github", "actions/runs:304"): 1,
        ("github", "releases:304"): 2,
        ("github", "release"): 1,
    }
    # Third run, nothing changed: every REST list and the draft are 304s (free); GraphQL only the
    # two checks.
    assert unchanged == {
        ("github", "graphql"): 2,
        ("github", "actions/runs:304"): 2,
        ("github", "releases:304"): 2,
        ("github", "release:304"): 1,
    }


def test_unchanged_hourly_run_costs_at_most_a_fifth_of_a_point_per_repository(home):
    # 20 repositories with a PR and a deployment each, and a first run to backfill them.
    repos = [Repo("acme", f"r{n}", 200 + n) for n in range(20)]
    scenario = Scenario(
        repos=repos,
        pull_requests=[PullRequest(r.full_name, 1, 3000 + r.id, "x", "alice", created_at=ago(3), updated_at=ago(2),
                                   first_commit_at=ago(4)) for r in repos],
        deployments=[Deployment(r.full_name, 4000 + r.id, SHA_A, "main", "production", ago(2), "bob",
                                statuses=[DeploymentStatus(r.id, "success", ago(2))]) for r in repos],
    )
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org))
        org.reset_requests()
        run(home, github_source(org))
        requests, points = dict(org.requests), dict(org.points_used)

    # GraphQL (no conditional requests): per resource one check query of the 20 repositories, 20
    # one-request connections -> 1 point each, 2 points in all = 0.1 point per repository; the
    # REST lists answer the ETag of the backfill's first page with 304, which costs nothing.
    assert requests == {
        ("github", "graphql"): 2,
        ("github", "actions/runs:304"): 20,
        ("github", "releases:304"): 20,
    }
    assert points == {"graphql": 2}
    assert points["graphql"] / len(repos) <= 0.2


def test_owner_lists_its_repositories_and_an_unchanged_listing_is_free(home):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:

        def source():
            return github_source(org, repositories=None, owner="acme").with_resources("workflow_runs")

        run(home, source())
        first = dict(org.requests)
        org.reset_requests()
        run(home, source())
        unchanged = dict(org.requests)
        scenario.repos.append(Repo("acme", "ops", 103))
        scenario.workflow_runs.append(run_record("acme/ops", 7101, 1))
        org.reset_requests()
        run(home, source())
        new_repository = dict(org.requests)

    # One listing page (3 repositories fit on it), then one runs page per repository.
    assert first == {("github", "repos"): 1, ("github", "actions/runs"): 2}
    # Unchanged: the listing is a 304 and its names come from state, each runs list a 304.
    assert unchanged == {("github", "repos:304"): 1, ("github", "actions/runs:304"): 2}
    # acme/ops is new: the listing changed (200), ops has no stored page (200), the others 304.
    assert new_repository == {("github", "repos"): 1, ("github", "actions/runs"): 1, ("github", "actions/runs:304"): 2}
    assert rows(home, "raw_github", "select repository, count(*) from {t}.workflow_runs group by 1 order by 1") == [
        ("acme/api", 2), ("acme/ops", 1), ("acme/web", 1)
    ]


def test_faults_are_survived(home, monkeypatch):
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "6")
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        org.inject(
            Fault.too_many_requests(path="graphql", retry_after=1),
            Fault.graphql_errors(),
            Fault.cut_connection(path="graphql"),
            Fault.secondary_limit(path="/actions/runs", retry_after=1),
            Fault.invalid_json(path="/actions/runs"),
            Fault.server_error(path="/releases", times=2, status=502),
            Fault.primary_limit(path="/releases", reset_in=2),
        )
        run(home, github_source(org))
        assert org.faults.pending == []  # every fault was met (and survived)

    assert rows(home, "raw_github", "select count(*) from {t}.pull_requests") == [(4,)]
    assert rows(home, "raw_github", "select count(*) from {t}.workflow_runs") == [(3,)]
    assert rows(home, "raw_github", "select count(*) from {t}.releases") == [(2,)]
    assert rows(home, "raw_github", "select count(*) from {t}.deployments") == [(3,)]


def test_a_far_rate_limit_reset_stops_the_run_saying_how_far_it_got_and_the_next_run_resumes(home):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        run_until_done(home, lambda: github_source(org))
        scenario.pull_requests.append(
            PullRequest("acme/api", 5, 1005, "New", "bob", created_at=ago(hours=2), updated_at=ago(hours=2),
                        first_commit_at=ago(hours=3))
        )
        scenario.workflow_runs.append(run_record("acme/web", 6002, 0.1))
        org.inject(Fault.primary_limit(path="graphql", reset_in=3))
        reset = time.time() + 3
        org.reset_requests()
        with pytest.raises(SourceError) as failure:
            run_until_done(home, lambda: github_source(org, max_rate_limit_wait=1))
        stopped = dict(org.requests)

        # The next run, after the reset, finishes the two unfinished passes: pull requests a check
        # and acme/api's page (its newest PR moved), deployments a check (nothing moved); the REST
        # resources, done, begin their next pass (all 304s).
        time.sleep(max(reset - time.time(), 0) + 1)
        org.reset_requests()
        run_until_done(home, lambda: github_source(org))
        resumed = dict(org.requests)

    # The PR check meets the spent GraphQL budget (refused); the deployments resource knows from
    # that answer and sends nothing; the REST resources finish their passes, and what they read is
    # stored: acme/web's new run.
    assert stopped == {
        ("github", "graphql:refused"): 1,
        ("github", "actions/runs"): 1,
        ("github", "actions/runs:304"): 1,
        ("github", "releases:304"): 2,
        ("github", "release"): 1,
    }
    message = str(failure.value)
    assert re.search(r"GitHub rate limit exhausted \(graphql\); it resets at \S+ \S+ UTC, \d s from now, more"
                     r" than the configured max_rate_limit_wait of 1 s\.", message), message
    assert ("(deployments 0 of 2 repositories done, 2 left; pull_requests 0 of 2 repositories done, 2 left;"
            " releases 2 of 2 repositories done; workflow_runs 2 of 2 repositories done)") in message
    assert rows(home, "raw_github", "select count(*) from {t}.workflow_runs where id = 6002") == [(1,)]

    assert resumed == {
        ("github", "graphql"): 3,
        ("github", "actions/runs:304"): 2,
        ("github", "releases:304"): 2,
        ("github", "release:304"): 1,
    }
    assert cursor(home, "github", "pull_requests", "acme/api") == ago(hours=2)
    assert rows(home, "raw_github", "select count(*), count(distinct id) from {t}.pull_requests") == [(5, 5)]


def test_rejected_token_names_the_setting_and_hides_the_token(home):
    with SimulatedOrg(small_scenario()) as org:
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, github_source(org, access_token="ghp_wrong_secret_4711"))
        assert sum(org.requests.values()) == 1  # fails fast: a 401 is not retried

    message = str(failure.value)
    assert "GitHub rejected the credential (401 Unauthorized)" in message
    assert "sources.github.access_token (environment variable SOURCES__GITHUB__ACCESS_TOKEN)" in message
    assert "ghp_wrong_secret_4711" not in message


def test_graphql_errors_that_persist_fail_clearly(home):
    with SimulatedOrg(small_scenario()) as org:
        org.inject(Fault.graphql_errors(times=10))
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, github_source(org).with_resources("pull_requests"))
        assert org.requests[("github", "graphql")] == 4  # RUNTIME__REQUEST_MAX_ATTEMPTS
    assert "GitHub GraphQL query kept failing: Something went wrong" in str(failure.value)


def test_graphql_error_that_cannot_pass_fails_at_once(home):
    with SimulatedOrg(small_scenario()) as org:
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, github_source(org, repositories=["acme/missing"]).with_resources("pull_requests"))
        assert org.requests[("github", "graphql")] == 1
    assert "GitHub GraphQL query failed: Could not resolve to a Repository with the name 'acme/missing'." in str(
        failure.value
    )


def test_workflow_runs_beyond_1000_and_beyond_one_page(home):
    # 2,500 runs, run n created n x 2 hours ago (n / 12 days): beyond GitHub's 1,000-result cap
    # on a filtered list; the list is read unfiltered, newest first, 100 a page.
    scenario = Scenario(
        repos=[Repo("acme", "api", 101)],
        workflow_runs=[run_record("acme/api", 10_000 + n, n / 12) for n in range(2500)],
    )
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org).with_resources("workflow_runs"))
        backfill = dict(org.requests)

        # Cursor: run n=0, created now; start = now - 72 h. The stored first page (n = 0..99)
        # reaches back to n = 99, 8.25 days ago, before the start: asked for conditionally.
        org.reset_requests()
        run(home, github_source(org).with_resources("workflow_runs"))
        unchanged = dict(org.requests)

        # The newest run is re-run: the first page changed, and it still reaches past the start.
        scenario.workflow_runs[0].run_attempt, scenario.workflow_runs[0].conclusion = 2, "failure"
        org.reset_requests()
        run(home, github_source(org).with_resources("workflow_runs"))
        changed = dict(org.requests)

        # A 10-day lookback starts before the stored page's oldest run (8.25 days): that page
        # proves nothing about days 8.25..10, so pages 1 and 2 (n = 100..199, to 16.6 days) are read.
        org.reset_requests()
        run(home, github_source(org, lookback_hours=240).with_resources("workflow_runs"))
        longer_lookback = dict(org.requests)

    assert rows(home, "raw_github", "select count(*), count(distinct id) from {t}.workflow_runs") == [(2500, 2500)]
    assert backfill == {("github", "actions/runs"): 25}  # 2,500 / 100, the last page has no next link
    assert unchanged == {("github", "actions/runs:304"): 1}
    assert changed == {("github", "actions/runs"): 1}
    assert rows(home, "raw_github", "select run_attempt, conclusion from {t}.workflow_runs where id = 10000") == [
        (2, "failure")
    ]
    assert longer_lookback == {("github", "actions/runs"): 2}


def test_requests_per_1000_pull_requests(home):
    scenario = Scenario(
        repos=[Repo("acme", "api", 101)],
        pull_requests=[
            PullRequest("acme/api", n, 100_000 + n, f"PR {n}", "alice", created_at=ago(300 - n / 5),
                        updated_at=ago(300 - n / 5), first_commit_at=ago(301 - n / 5))
            for n in range(1000)
        ],
    )
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org).with_resources("pull_requests"))
        requests = org.requests[("github", "graphql")]
    assert rows(home, "raw_github", "select count(*), count(first_commit_at) from {t}.pull_requests") == [(1000, 1000)]
    print(f"pull requests: {requests} requests per 1,000 PRs")
    assert requests == 10  # 100 per page, commits inside the page


def test_every_query_the_source_sends_is_valid_against_githubs_schema_and_priced_like_github(home, github_schema):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org))  # the backfill: a page per repository and resource, repository ids
        run(home, github_source(org))  # unchanged: one check of both repositories per resource
        sent = sorted(org.graphql_queries)

    # PRs, deployments, the repository id of releases, and the two checks (of 2 repositories)
    assert len(sent) == 5
    assert sum(query.startswith("query($o0: String!, $n0: String!, $o1: String!") for query in sent) == 2
    for query in sent:
        assert validate(github_schema, parse(query)) == []
        # what the client expects to pay before sending = what the simulated GitHub charged
        assert graphql_cost(query) == query_cost({"query": query})[0]


@pytest.mark.parametrize(
    ("base_url", "graphql_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
    ],
)
def test_graphql_endpoint_follows_the_rest_base_url(base_url, graphql_url):
    assert github_module.graphql_endpoint(base_url) == graphql_url


def test_changed_files_are_read_only_for_the_named_repositories_and_paged_past_100(home, github_schema):
    """acme/mono is named (a `paths` cell names it), acme/web is not: mono's PRs come with every
    changed file (#2 has 250: its first 100 in the page, then 2 follow-up queries of 100 and 50),
    web's with none and at no cost; each query is valid against GitHub's schema and priced alike."""
    big = [f"services/api/file_{i:03d}.py" for i in range(250)]
    scenario = Scenario(
        repos=[Repo("acme", "mono", 101), Repo("acme", "web", 102)],
        pull_requests=[
            PullRequest("acme/mono", 1, 1001, "Small", "alice", created_at=ago(10), updated_at=ago(9),
                        first_commit_at=ago(11), merged_at=ago(9), closed_at=ago(9), merge_commit_sha=SHA_A,
                        files=["services/web/a.ts", "README.md"]),
            PullRequest("acme/mono", 2, 1002, "Big", "bob", created_at=ago(5), updated_at=ago(4),
                        first_commit_at=ago(6), merged_at=ago(4), closed_at=ago(4), merge_commit_sha=SHA_B, files=big),
            PullRequest("acme/web", 1, 2001, "Restyle", "carol", created_at=ago(5), updated_at=ago(4),
                        first_commit_at=ago(6), merged_at=ago(4), closed_at=ago(4), files=["x.css"]),
        ],
    )
    with SimulatedOrg(scenario) as org:
        run(home, github_source(org, changed_files_repositories=["acme/m*"]).with_resources("pull_requests"))
        log = list(org.graphql_log)
        points = org.points_used

    files = dict(rows(home, "raw_github", "select repository || '#' || number, files from {t}.pull_requests"))
    assert json.loads(files["acme/mono#1"]) == ["services/web/a.ts", "README.md"]
    assert json.loads(files["acme/mono#2"]) == big  # every page, in order
    assert files["acme/web#1"] is None
    reads = [(variables["name"], "files(first: 100" in query, "pullRequest(number:" in query)
             for query, variables in log if "pullRequest" in query]
    # mono: one page of PRs with files, then #2's files 101-200 and 201-250; web: a page without files
    assert reads == [("mono", True, False), ("mono", True, True), ("mono", True, True), ("web", False, False)]
    assert [variables["number"] for query, variables in log if "pullRequest(number:" in query] == [2, 2]
    for query in {query for query, _ in log}:
        assert validate(github_schema, parse(query)) == []
        assert graphql_cost(query) == query_cost({"query": query})[0]
    # the page of PRs with files: 1 + 100 (labels) + 100 (commits) + 100 (files) requests = 3 points;
    # each follow-up 1; web's page without files 2
    assert [graphql_cost(query) for query, _ in log if "pullRequest" in query] == [3, 1, 1, 2]
    assert points["graphql"] == 7
