"""The GitHub issues resource against the simulated org: issues only (the list shows pull requests
too), re-read by `since`, a repository where nothing changed costs a free 304, and nothing at all
is asked for unless `sources.github.issues` is set."""

from __future__ import annotations

import json

from simorg.scenario import Issue, PullRequest, Repo, Scenario
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, github_source, rows, run  # noqa: F401


def scenario() -> Scenario:
    """acme/api: two issues, a merged and an open pull request; acme/web: one old issue."""
    return Scenario(
        repos=[Repo("acme", "api", 101), Repo("acme", "web", 102)],
        pull_requests=[
            PullRequest("acme/api", 1, 1001, "Fix login", "alice", created_at=ago(10), updated_at=ago(9),
                        first_commit_at=ago(11), merged_at=ago(9), closed_at=ago(9), merge_commit_sha="a" * 40),
            PullRequest("acme/api", 4, 1004, "Add search", "bob", created_at=ago(3), updated_at=ago(2),
                        first_commit_at=ago(3)),
        ],
        issues=[
            Issue("acme/api", 2, 5002, "Checkout down", "carol", created_at=ago(8), updated_at=ago(7),
                  labels=["incident", "sev1"], closed_at=ago(7), state_reason="completed"),
            Issue("acme/api", 3, 5003, "Typo on the home page", None, created_at=ago(5), updated_at=ago(5),
                  labels=["bug"]),
            Issue("acme/web", 1, 6001, "Old question", "dan", created_at=ago(400), updated_at=ago(400)),
        ],
    )


def issues(org, **settings):
    return github_source(org, issues=True, **settings).with_resources("issues")


def test_issues_are_loaded_without_the_pull_requests_the_list_shows(home):
    with SimulatedOrg(scenario()) as org:
        run(home, issues(org))

    # 6001 was last updated 400 days ago, before the 365-day backfill; 1001 and 1004 are pull requests.
    loaded = rows(home, "raw_github", """
        select id, repository_id, repository, number, title, author, labels, state, state_reason, created_at,
               updated_at, closed_at, html_url
        from {t}.issues order by id""")
    assert [row[:6] for row in loaded] == [
        (5002, 101, "acme/api", 2, "Checkout down", "carol"),
        (5003, 101, "acme/api", 3, "Typo on the home page", None),
    ]
    assert [json.loads(row[6]) for row in loaded] == [["incident", "sev1"], ["bug"]]
    assert [row[7:12] for row in loaded] == [
        ("closed", "completed", ago(8), ago(7), ago(7)),
        ("open", None, ago(5), ago(5), None),
    ]
    assert loaded[0][12].endswith("/acme/api/issues/2")


def test_a_reopened_issue_is_read_again_and_an_unchanged_repository_costs_a_free_304(home):
    world = scenario()
    with SimulatedOrg(world) as org:
        run(home, issues(org))
        org.reset_requests()
        run(home, issues(org))
        after_backfill = dict(org.requests)
        org.reset_requests()
        run(home, issues(org))
        unchanged = dict(org.requests)

        reopened = next(issue for issue in world.issues if issue.id == 5002)
        reopened.closed_at, reopened.state_reason, reopened.updated_at = None, "reopened", ago(hours=1)
        org.reset_requests()
        run(home, issues(org))
        changed = dict(org.requests)

    # Each repository keeps its own cursor. The run after the backfill asks acme/api from its
    # cursor (its newest issue or pull request, minus lookback) instead of the backfill start: a
    # new `since`, one page (the repository id comes from state: no GraphQL request). acme/web
    # listed nothing, so its `since` is still the backfill's day and its first page a free 304.
    assert after_backfill == {("github", "issues"): 1, ("github", "issues:304"): 1}
    # Nothing changed: the cursor did not move, `since` is the same, and both first pages are
    # answered 304 from their ETags.
    assert unchanged == {("github", "issues:304"): 2}
    # The reopened issue is on acme/api's first page under the same `since`: it changed (200),
    # acme/web's did not (304).
    assert changed == {("github", "issues"): 1, ("github", "issues:304"): 1}
    assert rows(home, "raw_github", "select id, state, state_reason, closed_at from {t}.issues order by id") == [
        (5002, "open", "reopened", None), (5003, "open", None, None)]


def test_without_the_setting_no_issue_is_asked_for(home):
    with SimulatedOrg(scenario()) as org:
        run(home, github_source(org).with_resources("issues"))
        assert dict(org.requests) == {}
    assert rows(home, "raw_github", "select count(*) from information_schema.tables where table_name = 'issues'") \
        == [(0,)]
