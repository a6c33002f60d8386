"""The simulated GitHub issues list behaves like GitHub's, and the generated org's reverts, hotfixes and
issues are what the rework and incident methods look for. Expected values are worked out by hand."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.error import HTTPError

import pytest

from simorg.generate import generate_scenario
from simorg.scenario import Issue, PullRequest, Repo, Scenario
from simorg.server import SimulatedOrg

UTC = timezone.utc
T0 = datetime(2024, 3, 1, tzinfo=UTC)
GITHUB = {"Authorization": "Bearer ghp_simulated_token"}


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def scenario() -> Scenario:
    """acme/shop: PR #1 (merged, label bug) created 0:30, updated 1:30; PR #2 open, created 2:30,
    updated 3:00; issue #3 [incident] 2:00 -> closed 4:00; issue #4 [bug, docs] 5:00, open; issue #5
    created 0:00, reopened at 6:00."""
    return Scenario(
        repos=[Repo("acme", "shop", 11)],
        pull_requests=[
            PullRequest("acme/shop", 1, 501, "Fix cart", "alice", hours(0.5), hours(1.5), hours(0), labels=["bug"],
                        merged_at=hours(1.5), closed_at=hours(1.5), merge_commit_sha="a" * 40),
            PullRequest("acme/shop", 2, 502, "Add search", "bob", hours(2.5), hours(3), hours(2)),
        ],
        issues=[
            Issue("acme/shop", 3, 9003, "Checkout down", "carol", hours(2), hours(4), ["incident"], hours(4), "completed"),
            Issue("acme/shop", 4, 9004, "Typo", "dan", hours(5), hours(5), ["bug", "docs"]),
            Issue("acme/shop", 5, 9005, "Flaky", None, hours(0), hours(6), state_reason="reopened"),
        ],
    )


@pytest.fixture(scope="module")
def issues_url():
    with SimulatedOrg(scenario(), clock=lambda: hours(24)) as org:
        yield f"{org.github_url}/repos/acme/shop/issues"


def listed(url: str) -> list[dict]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=GITHUB), timeout=10) as response:
        return json.loads(response.read())


def numbers(url: str) -> list[int]:
    return [item["number"] for item in listed(url)]


def test_the_list_shows_pull_requests_as_issues_with_their_own_ids(issues_url):
    # Default: open ones, newest created first: #4 (5:00), PR #2 (2:30), #5 (0:00).
    items = listed(issues_url)
    assert [item["number"] for item in items] == [4, 2, 5]
    pull = items[1]
    assert "pull_request" not in items[0] and pull["pull_request"]["merged_at"] is None
    assert pull["id"] != 502 and pull["html_url"].endswith("/acme/shop/pull/2")
    # The reopened issue is open again, without closed_at.
    assert (items[2]["state"], items[2]["closed_at"], items[2]["state_reason"], items[2]["user"]["login"]) == (
        "open", None, "reopened", "ghost")


def test_state_since_sort_and_labels_filter_like_github(issues_url):
    # Closed: #3 (2:00) and the merged PR #1 (0:30), whose pull_request says when it merged.
    closed = listed(f"{issues_url}?state=closed")
    assert [item["number"] for item in closed] == [3, 1]
    assert closed[1]["pull_request"]["merged_at"] == "2024-03-01T01:30:00Z"
    assert [label["name"] for label in closed[0]["labels"]] == ["incident"]
    # Updated at or after 3:00, oldest update first: PR #2 (3:00), #3 (4:00), #4 (5:00), #5 (6:00).
    since = "2024-03-01T03:00:00Z"
    assert numbers(f"{issues_url}?state=all&since={since}&sort=updated&direction=asc") == [2, 3, 4, 5]
    assert numbers(f"{issues_url}?state=all&labels=bug") == [4, 1]  # every named label must be present
    assert numbers(f"{issues_url}?state=all&labels=bug,docs") == [4]
    with pytest.raises(HTTPError) as refused:
        listed(f"{issues_url}?sort=comments")
    assert refused.value.code == 422


def test_the_generated_org_has_reverts_hotfixes_and_issues_and_nothing_else_changes():
    now = datetime(2025, 6, 2, 12, tzinfo=UTC)
    plain = generate_scenario(now, seed=3, months=3)
    org = generate_scenario(now, seed=3, months=3, rework=True)
    assert org == generate_scenario(now, seed=3, months=3, rework=True)
    # The records without rework are all still there, unchanged, and first.
    assert org.pull_requests[:len(plain.pull_requests)] == plain.pull_requests
    assert org.workflow_runs[:len(plain.workflow_runs)] == plain.workflow_runs
    assert (org.incidents, org.deployments, org.releases) == (plain.incidents, plain.deployments, plain.releases)

    added = org.pull_requests[len(plain.pull_requests):]
    merged = {(pr.repo, pr.number): pr for pr in plain.pull_requests if pr.merged_at}
    reverts = [pr for pr in added if pr.title.startswith("Revert ")]
    hotfixes = [pr for pr in added if pr.head_ref.startswith("hotfix/")]
    assert reverts and hotfixes and len(reverts) + len(hotfixes) == len(added)
    for revert in reverts:  # each names a merged PR of its repository, by branch or by title
        named = re.match(r"revert-(\d+)-", revert.head_ref) or re.match(r'Revert "Merge pull request #(\d+) ', revert.title)
        assert (revert.repo, int(named.group(1))) in merged and revert.merged_at > merged[(revert.repo, int(named.group(1)))].merged_at
    incidents = {incident.created_at: incident for incident in plain.incidents}
    assert all(pr.labels == ["hotfix"] and any(t < pr.created_at <= t + timedelta(minutes=40) for t in incidents)
               for pr in hotfixes)
    # Every merge has its deploy run on main.
    shas = {run.head_sha for run in org.workflow_runs if run.workflow_name == "deploy"}
    assert all(pr.merge_commit_sha in shas for pr in added if pr.merged_at <= now - timedelta(minutes=5))
    # Issue and pull request numbers share each repository's sequence without collisions.
    for repo in org.repos:
        taken = [pr.number for pr in org.pull_requests if pr.repo == repo.full_name] + \
                [issue.number for issue in org.issues if issue.repo == repo.full_name]
        assert len(taken) == len(set(taken))
    labelled = [issue for issue in org.issues if "incident" in issue.labels]
    assert labelled and [issue.closed_at for issue in sorted(labelled, key=lambda i: i.created_at)][-1] is None
    assert [issue.state_reason for issue in org.issues if issue.state_reason == "reopened"] == ["reopened"]
