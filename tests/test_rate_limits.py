"""What a request costs under GitHub's published formula, what the client does with what the
answers say is left (send, wait for a near reset, or stop before a request it cannot afford), and
how long a refused answer says to wait."""

from __future__ import annotations

import time

import pytest

from requests import Response

from dlt_sources.budget import RateLimits, graphql_cost
from dlt_sources.errors import RateLimitReached
from dlt_sources.http import github_reset_delay

# GitHub's own examples ("Rate limits and node limits for the GraphQL API").
DOCS_VIEWER_QUERY = """
query {
  viewer {
    login
    repositories(first: 100) {
      edges { node { id issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } }
    }
  }
}
"""
DOCS_COMPLEX_QUERY = """
query {
  viewer {
    repositories(first: 50) {
      edges { repository: node {
        name
        pullRequests(first: 20) { edges { pullRequest: node { title comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
        issues(first: 20) { totalCount edges { issue: node { title bodyHTML comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
      } }
    }
    followers(first: 10) { edges { follower: node { login } } }
  }
}
"""


def aliased_repositories(count: int) -> str:
    """`count` repositories under aliases, each with one 1-node connection: `count` requests."""
    one = 'r%d: repository(owner: "a", name: "b%d") { pullRequests(first: 1) { nodes { id } } }'
    return "{ " + " ".join(one % (i, i) for i in range(count)) + " }"


@pytest.mark.parametrize(("query", "cost"), [
    # 1 request for the repositories, 100 for their issues, 100 x 50 for the issues' labels: 5,101 -> 51
    (DOCS_VIEWER_QUERY, 51),
    # 1 + 50 PRs + 50 x 20 PR comments + 50 issues + 50 x 20 issue comments + 1 followers = 2,101 -> 21
    (DOCS_COMPLEX_QUERY, 21),
    # a page of 100 PRs with labels(first: 100) and commits(first: 1): 1 + 100 + 100 = 201 -> 2
    ("{ repository(owner: \"a\", name: \"b\") { pullRequests(first: 100) { nodes { labels(first: 100) { nodes { name } }"
     " commits(first: 1) { nodes { commit { oid } } } } } } }", 2),
    # no connection at all, or few requests: the minimum, 1
    ("{ rateLimit { cost remaining resetAt } }", 1),
    ("{ a: repository(owner: \"a\", name: \"b\") { pullRequests(first: 1) { nodes { updatedAt } } } }", 1),
    # 149 one-node connections: 1.49 rounds to 1; 150: 1.5 rounds up to 2
    (aliased_repositories(149), 1),
    (aliased_repositories(150), 2),
])
def test_graphql_cost_follows_githubs_formula(query, cost):
    assert graphql_cost(query) == cost


def test_a_spent_budget_is_waited_for_when_the_reset_is_near_and_refused_when_it_is_far():
    limits = RateLimits("GitHub", max_wait=2)
    limits.record({"x-ratelimit-resource": "graphql", "x-ratelimit-remaining": "3",
                   "x-ratelimit-reset": str(time.time() + 1)})
    limits.reserve("graphql", 3)  # affordable: returns at once
    limits.reserve("core", 10**6)  # nothing known about core: the answer will tell
    started = time.time()
    limits.reserve("graphql", 4)  # 3 left, reset 1 s away (<= 2 s): waits past it
    assert 1 <= time.time() - started < 3
    assert "graphql" not in limits.known  # a new window: unknown until the next answer

    far = time.time() + 3600
    limits.record({}, {"data": {"rateLimit": {"cost": 2, "remaining": 1, "resetAt":
                                              time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(far))}}})
    started = time.time()
    with pytest.raises(RateLimitReached) as stop:
        limits.reserve("graphql", 2)
    assert time.time() - started < 0.5  # refused before sending, without waiting
    assert abs(stop.value.resets_at - far) < 1
    assert "GitHub rate limit exhausted (graphql); it resets at" in str(stop.value)
    assert "more than the configured max_rate_limit_wait of 2 s" in str(stop.value)


def github_answer(status: int, headers: dict[str, str], body: str) -> Response:
    response = Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers)
    return response


def test_rate_limit_answers_tell_how_long_to_wait():
    reset_in_90_s = str(int(time.time()) + 90)
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset_in_90_s}
    assert 88 <= github_reset_delay(github_answer(403, spent, "{}")) <= 90
    assert 88 <= github_reset_delay(github_answer(429, spent, "{}")) <= 90
    assert github_reset_delay(github_answer(200, spent, '{"data": {}}')) is None  # the last allowed request
    assert 88 <= github_reset_delay(github_answer(200, spent, '{"errors": [{"type": "RATE_LIMITED"}]}')) <= 90
    # a query costing more than is left is refused although some points remain
    some_left = {**spent, "x-ratelimit-remaining": "3"}
    assert 88 <= github_reset_delay(github_answer(200, some_left, '{"errors": [{"type": "RATE_LIMIT"}]}')) <= 90
    assert github_reset_delay(github_answer(200, some_left, '{"data": {"title": "RATE_LIMITED"}}')) is None
    secondary = '{"message": "You have exceeded a secondary rate limit."}'
    assert github_reset_delay(github_answer(403, {}, secondary)) == 60  # no retry-after: wait a minute
    assert github_reset_delay(github_answer(403, {"retry-after": "5"}, secondary)) is None  # dlt reads retry-after
    assert github_reset_delay(github_answer(403, {}, '{"message": "Resource not accessible"}')) is None
