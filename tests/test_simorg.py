"""The simulated org behaves like GitHub and PagerDuty where the extractor depends on it.

Every expected number is worked out by hand from the small scenario built below.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from graphql import GraphQLEnumType

from simorg.faults import Fault
from simorg.generate import generate_scenario
from simorg.graphql_api import SCHEMA
from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    Incident,
    PagerDutyService,
    PullRequest,
    Release,
    Repo,
    Scenario,
    WorkflowRun,
)
from simorg.server import SimulatedOrg

UTC = timezone.utc
T0 = datetime(2024, 3, 1, tzinfo=UTC)
GITHUB = {"Authorization": "Bearer ghp_simulated_token"}
PAGERDUTY = {"Authorization": "Token token=pd_simulated_token"}


def small_scenario() -> Scenario:
    """acme/shop: 72 deploy runs, one an hour from 2024-03-01T00:00Z (3 whole days);
    5 PRs (#1-#4 merged, #5 open), #n created at T0+n h, updated at T0+n h+30 min; #3 by a deleted user;
    one release; two deployments; PagerDuty: one service, 5 incidents on 01-10, 02-05, 02-20,
    03-01 09:00, 08-01."""
    runs = [
        WorkflowRun("acme/shop", 1000 + i, 7, "deploy", "main", f"{i:040x}", "push", "completed", "success",
                    T0 + timedelta(hours=i), T0 + timedelta(hours=i), T0 + timedelta(hours=i, minutes=5), "bob")
        for i in range(72)
    ]
    prs = [
        PullRequest("acme/shop", n, 500 + n, f"Change {n}", None if n == 3 else "alice",
                    T0 + timedelta(hours=n), T0 + timedelta(hours=n, minutes=30), T0 + timedelta(hours=n - 5),
                    labels=["bug"] if n == 2 else [],
                    merged_at=T0 + timedelta(hours=n, minutes=20) if n < 5 else None,
                    closed_at=T0 + timedelta(hours=n, minutes=20) if n < 5 else None,
                    merge_commit_sha=f"{n:040x}" if n < 5 else None)
        for n in range(1, 6)
    ]
    deployments = [
        Deployment("acme/shop", 71, "a" * 40, "main", "production", T0, "carol",
                   statuses=[DeploymentStatus(1, "in_progress", T0), DeploymentStatus(2, "success", T0 + timedelta(minutes=4), "https://logs/71")]),
        Deployment("acme/shop", 72, "b" * 40, "main", "staging", T0 + timedelta(hours=1), None),
    ]
    incident_days = [datetime(2024, 1, 10, tzinfo=UTC), datetime(2024, 2, 5, tzinfo=UTC),
                     datetime(2024, 2, 20, tzinfo=UTC), datetime(2024, 3, 1, 9, tzinfo=UTC),
                     datetime(2024, 8, 1, tzinfo=UTC)]
    incidents = [
        Incident(f"PINC00{n}", n, f"Outage {n}", "PSHOP01", at, at + timedelta(hours=1),
                 status="resolved" if n != 4 else "triggered",
                 resolved_at=at + timedelta(hours=1) if n != 4 else None, teams=["Storefront"])
        for n, at in enumerate(incident_days, start=1)
    ]
    return Scenario(
        repos=[Repo("acme", "shop", 11), Repo("acme", "web", 12)],
        pull_requests=prs, workflow_runs=runs, deployments=deployments,
        releases=[Release("acme/shop", 9, "v1.0", "main", "v1.0", T0, T0, "alice")],
        pagerduty_services=[PagerDutyService("PSHOP01", "shop", ["Storefront"])],
        incidents=incidents,
    )


def call(url: str, headers: dict | None = None, body: dict | None = None, timeout: float = 10):
    """(status, headers, raw body) without raising on 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get_json(url: str, headers: dict | None = None):
    status, headers, raw = call(url, headers)
    return status, headers, json.loads(raw)


def links(header: str) -> dict[str, str]:
    parts = (part.split(";") for part in header.split(", "))
    return {rel.strip().removeprefix('rel="').removesuffix('"'): url.strip("<> ") for url, rel in parts}


@pytest.fixture
def org():
    with SimulatedOrg(small_scenario(), rate_limit=100, clock=lambda: datetime(2024, 3, 10, tzinfo=UTC)) as org:
        yield org


# --- GitHub REST ---------------------------------------------------------------------------


def test_runs_are_paged_newest_first_with_github_link_headers(org):
    runs_url = f"{org.github_url}/repos/acme/shop/actions/runs"
    status, headers, body = get_json(f"{runs_url}?per_page=10&page=2", GITHUB)
    # 72 runs, 10 a page: 8 pages; page 2 holds the 11th-20th newest: ids 1061 down to 1052
    assert status == 200 and body["total_count"] == 72
    assert [run["id"] for run in body["workflow_runs"]] == list(range(1061, 1051, -1))
    assert links(headers["Link"]) == {
        "prev": f"{runs_url}?per_page=10&page=1",
        "next": f"{runs_url}?per_page=10&page=3",
        "last": f"{runs_url}?per_page=10&page=8",
        "first": f"{runs_url}?per_page=10&page=1",
    }
    _, headers, body = get_json(f"{runs_url}?per_page=10&page=8", GITHUB)
    assert [run["id"] for run in body["workflow_runs"]] == [1001, 1000]
    assert set(links(headers["Link"])) == {"prev", "first"}
    _, headers, body = get_json(f"{runs_url}?per_page=100", GITHUB)
    assert len(body["workflow_runs"]) == 72 and "Link" not in headers
    run = body["workflow_runs"][-1]
    assert (run["name"], run["head_branch"], run["conclusion"], run["actor"]["login"], run["created_at"],
            run["repository"]["full_name"], run["repository"]["id"]) == (
        "deploy", "main", "success", "bob", "2024-03-01T00:00:00Z", "acme/shop", 11)


def test_a_filtered_run_listing_pages_only_the_first_thousand():
    scenario = small_scenario()
    scenario.workflow_runs = [
        WorkflowRun("acme/shop", 10_000 + i, 7, "ci", "main", "c" * 40, "push", "completed", "success",
                    T0 + timedelta(minutes=i), T0 + timedelta(minutes=i), T0 + timedelta(minutes=i), "bob")
        for i in range(1205)
    ]
    runs_url = f"{{}}/repos/acme/shop/actions/runs?per_page=100&page={{}}"
    with SimulatedOrg(scenario) as org:
        # filtered: total_count says 1205, but only 1000 (10 pages of 100) can be reached
        _, headers, page10 = get_json(runs_url.format(org.github_url, 10) + "&branch=main", GITHUB)
        _, _, page11 = get_json(runs_url.format(org.github_url, 11) + "&branch=main", GITHUB)
        assert page10["total_count"] == 1205 and len(page10["workflow_runs"]) == 100
        assert page11["total_count"] == 1205 and page11["workflow_runs"] == []
        assert "next" not in links(headers["Link"])
        # unfiltered: all 13 pages reachable, the last holds 1205 - 1200 = 5
        _, _, page13 = get_json(runs_url.format(org.github_url, 13), GITHUB)
        assert len(page13["workflow_runs"]) == 5


@pytest.mark.parametrize(("created", "expected"), [
    ("2024-03-02", 24),  # the whole day: hours 24-47
    (">=2024-03-02", 48),  # days 2 and 3
    (">2024-03-02", 24),  # after that day: day 3 only
    ("<2024-03-02", 24),  # day 1
    ("<=2024-03-02", 48),  # days 1 and 2
    ("2024-03-01T10:00:00Z..2024-03-01T12:00:00Z", 3),  # 10:00, 11:00, 12:00
    (">2024-03-01T10:00:00Z", 61),  # hours 11..71
    (">=2024-03-03T23:00:00+00:00", 1),  # the last run
    ("2024-03-03..*", 24),
])
def test_created_filter_reads_github_date_range_syntax(org, created, expected):
    _, _, body = get_json(f"{org.github_url}/repos/acme/shop/actions/runs?created={quote(created)}", GITHUB)
    assert body["total_count"] == expected


def test_a_matching_etag_gets_304_and_costs_nothing(org):
    url = f"{org.github_url}/repos/acme/shop/releases"
    status, headers, body = get_json(url, GITHUB)
    assert status == 200 and body[0]["tag_name"] == "v1.0" and body[0]["author"]["login"] == "alice"
    assert (headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"], headers["x-ratelimit-used"],
            headers["x-ratelimit-resource"]) == ("100", "99", "1", "core")
    status, headers, raw = call(url, GITHUB | {"If-None-Match": headers["ETag"]})
    assert (status, raw, headers["x-ratelimit-remaining"]) == (304, b"", "99")
    status, headers, _ = call(url, GITHUB | {"If-None-Match": '"stale"'})
    assert (status, headers["x-ratelimit-remaining"]) == (200, "98")
    assert org.requests[("github", "releases")] == 2
    assert org.requests[("github", "releases:304")] == 1
    assert org.rate_limit_used == 2


def test_a_spent_budget_is_refused_with_remaining_zero():
    with SimulatedOrg(small_scenario(), rate_limit=2) as org:
        url = f"{org.github_url}/repos/acme/shop/releases"
        assert [call(url, GITHUB)[0] for _ in range(3)] == [200, 200, 403]
        status, headers, body = get_json(f"{org.github_url}/rate_limit", GITHUB)
        assert body["resources"]["core"]["remaining"] == 0 and body["resources"]["core"]["used"] == 2
        assert body["resources"]["graphql"]["remaining"] == 2  # a separate budget, as on GitHub


def test_graphql_is_charged_by_githubs_formula_and_refused_when_it_costs_more_than_is_left():
    # 5 points per window of 1.5 s. The extractor's PR page (100 PRs, labels(first: 100),
    # commits(first: 1)): 1 + 100 + 100 = 201 requests -> 2 points; rateLimit alone: 1 point.
    pr_page = """query { rateLimit { cost remaining resetAt }
      repository(owner: "acme", name: "shop") { pullRequests(first: 100) { nodes {
        labels(first: 100) { nodes { name } } commits(first: 1) { nodes { commit { oid } } } } } } }"""
    with SimulatedOrg(small_scenario(), rate_limit=5, rate_window=1.5) as org:
        started = time.time()
        status, headers, raw = call(org.github_graphql_url, GITHUB, {"query": pr_page})
        rate = json.loads(raw)["data"]["rateLimit"]
        assert (status, rate["cost"], rate["remaining"], headers["x-ratelimit-remaining"],
                headers["x-ratelimit-resource"]) == (200, 2, 3, "3", "graphql")
        reset = int(headers["x-ratelimit-reset"])
        assert started + 1.5 <= reset <= started + 3  # the window's end, rounded up to a second
        assert rate["resetAt"] == datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert graphql(org, pr_page)[1]["data"]["rateLimit"]["remaining"] == 1
        # 1 point left, the page costs 2: refused like GitHub refuses it, HTTP 200, nothing spent
        status, headers, raw = call(org.github_graphql_url, GITHUB, {"query": pr_page})
        assert (status, json.loads(raw)["errors"][0]["type"], headers["x-ratelimit-remaining"]) == (200, "RATE_LIMITED", "1")
        assert graphql(org, "{ rateLimit { cost remaining } }")[1]["data"]["rateLimit"] == {"cost": 1, "remaining": 0}
        assert org.points_used == {"graphql": 5}
        assert org.requests[("github", "graphql:refused")] == 1
        # REST keeps its own budget; a 304 is free
        url = f"{org.github_url}/repos/acme/shop/releases"
        status, headers, _ = call(url, GITHUB)
        assert (status, headers["x-ratelimit-resource"], headers["x-ratelimit-remaining"]) == (200, "core", "4")
        assert call(url, GITHUB | {"If-None-Match": headers["ETag"]})[0] == 304
        time.sleep(max(reset - time.time(), 0) + 0.05)  # the next window: a fresh budget
        assert graphql(org, pr_page)[1]["data"]["rateLimit"]["remaining"] == 3
    assert org.points_used == {"graphql": 7, "core": 1}


def test_wrong_or_missing_credentials_get_401(org):
    runs = f"{org.github_url}/repos/acme/shop/actions/runs"
    assert get_json(runs)[0::2] == (401, {"message": "Bad credentials",
                                           "documentation_url": "https://docs.github.com/rest", "status": "401"})
    assert call(runs, {"Authorization": "Bearer nope"})[0] == 401
    assert call(runs, {"Authorization": "token ghp_simulated_token"})[0] == 200
    status, _, body = get_json(f"{org.pagerduty_url}/incidents", {"Authorization": "Token token=nope"})
    assert (status, body) == (401, {"error": {"message": "Unauthorized", "code": 2006}})


def test_owner_repos_and_deployment_statuses(org):
    _, _, repos = get_json(f"{org.github_url}/orgs/acme/repos", GITHUB)
    assert [r["full_name"] for r in repos] == ["acme/shop", "acme/web"]
    _, _, deployments = get_json(f"{org.github_url}/repos/acme/shop/deployments?environment=production", GITHUB)
    assert [d["id"] for d in deployments] == [71]
    _, _, statuses = get_json(f"{org.github_url}/repos/acme/shop/deployments/71/statuses", GITHUB)
    assert [s["state"] for s in statuses] == ["success", "in_progress"]  # newest first
    _, _, pulls = get_json(f"{org.github_url}/repos/acme/shop/pulls?state=closed", GITHUB)
    assert [p["number"] for p in pulls] == [4, 3, 2, 1] and pulls[1]["user"]["login"] == "ghost"


# --- GitHub GraphQL ------------------------------------------------------------------------

EXTRACTOR_QUERY = """
query($owner: String!, $name: String!, $after: String) {
  rateLimit { cost remaining resetAt limit used }
  repository(owner: $owner, name: $name) {
    databaseId nameWithOwner
    pullRequests(first: 2, after: $after, orderBy: {field: UPDATED_AT, direction: DESC},
                 states: [MERGED], baseRefName: "main") {
      pageInfo { hasNextPage endCursor }
      totalCount
      nodes {
        databaseId id number title createdAt updatedAt closedAt mergedAt state baseRefName headRefName url
        mergeCommit { oid } author { login } labels(first: 20) { nodes { name } }
        commits(first: 1) { totalCount nodes { commit { oid authoredDate committedDate } } }
      }
    }
    deployments(first: 10, orderBy: {field: CREATED_AT, direction: DESC}, environments: ["production", "staging"]) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId id commitOid ref { name } task environment createdAt updatedAt creator { login }
        latestStatus { state createdAt logUrl }
      }
    }
  }
}
"""


def graphql(org, query: str, variables: dict | None = None):
    status, _, raw = call(org.github_graphql_url, GITHUB, {"query": query, "variables": variables or {}})
    return status, json.loads(raw)


def test_graphql_pages_merged_pull_requests_and_deployments(org):
    status, answer = graphql(org, EXTRACTOR_QUERY, {"owner": "acme", "name": "shop"})
    assert status == 200 and "errors" not in answer
    data = answer["data"]
    assert data["rateLimit"]["cost"] == 1 and data["rateLimit"]["remaining"] == 99
    prs = data["repository"]["pullRequests"]
    # merged PRs are #1-#4; newest update first: #4, #3
    assert prs["totalCount"] == 4 and prs["pageInfo"]["hasNextPage"] is True
    four, three = prs["nodes"]
    assert (four["number"], four["state"], four["mergedAt"], four["author"], four["mergeCommit"]) == (
        4, "MERGED", "2024-03-01T04:20:00Z", {"login": "alice"}, {"oid": f"{4:040x}"})
    assert four["commits"]["nodes"][0]["commit"]["authoredDate"] == "2024-02-29T23:00:00Z"  # T0 + 4h - 5h
    assert three["author"] is None  # deleted user
    deployments = data["repository"]["deployments"]["nodes"]
    assert [(d["databaseId"], d["environment"], d["latestStatus"]) for d in deployments] == [
        (72, "staging", None),
        (71, "production", {"state": "SUCCESS", "createdAt": "2024-03-01T00:04:00Z", "logUrl": "https://logs/71"}),
    ]
    assert deployments[0]["creator"] == {"login": "ghost"}

    _, answer = graphql(org, EXTRACTOR_QUERY, {"owner": "acme", "name": "shop", "after": prs["pageInfo"]["endCursor"]})
    rest = answer["data"]["repository"]["pullRequests"]
    assert [n["number"] for n in rest["nodes"]] == [2, 1] and rest["pageInfo"]["hasNextPage"] is False
    assert rest["nodes"][0]["labels"]["nodes"] == [{"name": "bug"}]


def test_graphql_refuses_more_than_100_nodes_with_http_200(org):
    status, answer = graphql(org, '{ repository(owner:"acme", name:"shop") { pullRequests(first: 101) { totalCount } } }')
    assert status == 200 and "data" not in answer
    assert "exceeds the `first` limit of 100 records" in answer["errors"][0]["message"]


def test_the_simulated_schema_is_a_subset_of_githubs_public_schema(github_schema):
    """Every type, field, argument and enum value the simulated org serves exists in GitHub's
    schema with the same type, so a query valid here is valid against GitHub (the queries the
    extractor really sends are validated against the full schema in test_github_source.py)."""
    missing = []
    for name, simulated in SCHEMA.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Boolean", "ID", "Float"):
            continue
        real = github_schema.type_map.get(name)
        if real is None:
            missing.append(name)
            continue
        if isinstance(simulated, GraphQLEnumType):
            missing += [f"{name}.{value}" for value in simulated.values if value not in real.values]
            continue
        for field_name, field in getattr(simulated, "fields", {}).items():
            real_field = real.fields.get(field_name)
            if real_field is None or str(real_field.type) != str(field.type):
                missing.append(f"{name}.{field_name}: {field.type}")
                continue
            for arg_name, arg in getattr(field, "args", {}).items():
                real_arg = real_field.args.get(arg_name)
                if real_arg is None or str(real_arg.type) != str(arg.type):
                    missing.append(f"{name}.{field_name}({arg_name}: {arg.type})")
    assert missing == []
    assert len(SCHEMA.type_map) > 30  # the check above really walked the simulated schema


# --- PagerDuty -----------------------------------------------------------------------------


def incident_numbers(org, query: str):
    status, _, body = get_json(f"{org.pagerduty_url}/incidents?{query}", PAGERDUTY)
    return status, body


def test_pagerduty_incident_windows(org):
    # only since: one month from it -> [02-01, 03-01): incidents 2 (02-05) and 3 (02-20)
    _, body = incident_numbers(org, "since=2024-02-01T00:00:00Z")
    assert [i["incident_number"] for i in body["incidents"]] == [2, 3]
    # neither: the month before the clock (03-10) -> [02-10, 03-10): 3 and 4
    _, body = incident_numbers(org, "")
    assert [i["incident_number"] for i in body["incidents"]] == [3, 4]
    _, body = incident_numbers(org, "date_range=all&sort_by=created_at:desc&statuses[]=resolved")
    assert [i["incident_number"] for i in body["incidents"]] == [5, 3, 2, 1]
    # six months is the widest window: 01-01..07-01 is fine, 01-01..07-02 is refused
    status, body = incident_numbers(org, "since=2024-01-01T00:00:00Z&until=2024-07-01T00:00:00Z")
    assert status == 200 and [i["incident_number"] for i in body["incidents"]] == [1, 2, 3, 4]
    status, body = incident_numbers(org, "since=2024-01-01T00:00:00Z&until=2024-07-02T00:00:00Z")
    assert status == 400 and body["error"]["code"] == 2001
    incident = incident_numbers(org, "date_range=all")[1]["incidents"][3]
    assert (incident["id"], incident["status"], incident["resolved_at"], incident["service"]["summary"],
            incident["teams"][0]["summary"]) == ("PINC004", "triggered", None, "shop", "Storefront")


def test_pagerduty_offset_paging_says_more_and_total_on_request(org):
    pages = [incident_numbers(org, f"date_range=all&limit=2&offset={offset}")[1] for offset in (0, 2, 4)]
    assert [[i["incident_number"] for i in p["incidents"]] for p in pages] == [[1, 2], [3, 4], [5]]
    assert [p["more"] for p in pages] == [True, True, False]
    assert pages[0]["total"] is None
    assert incident_numbers(org, "date_range=all&total=true")[1]["total"] == 5
    # offset + limit may not pass 10,000
    assert incident_numbers(org, "date_range=all&limit=100&offset=9900")[0] == 200
    status, body = incident_numbers(org, "date_range=all&limit=100&offset=9901")
    assert status == 400 and "10000" in body["error"]["errors"][0]
    _, _, services = get_json(f"{org.pagerduty_url}/services", PAGERDUTY)
    assert [(s["id"], s["name"], s["teams"][0]["summary"]) for s in services["services"]] == [
        ("PSHOP01", "shop", "Storefront")]
    assert get_json(f"{org.pagerduty_url}/incidents/PINC002", PAGERDUTY)[2]["incident"]["incident_number"] == 2


# --- faults ----------------------------------------------------------------------------------


def test_faults_answer_the_next_matching_requests_only(org):
    runs = f"{org.github_url}/repos/acme/shop/actions/runs"
    releases = f"{org.github_url}/repos/acme/shop/releases"
    org.inject(Fault.server_error(status=502, times=2, path="/actions/runs"))
    assert call(releases, GITHUB)[0] == 200  # the path does not match
    assert [call(runs, GITHUB)[0] for _ in range(3)] == [502, 502, 200]

    org.inject(Fault.too_many_requests(retry_after=3))
    status, headers, _ = call(runs, GITHUB)
    assert (status, headers["retry-after"]) == (429, "3")

    org.inject(Fault.secondary_limit(retry_after=5))
    status, headers, raw = call(runs, GITHUB)
    assert (status, headers["retry-after"]) == (403, "5") and b"secondary rate limit" in raw

    org.inject(Fault.too_many_requests(service="pagerduty", path="/incidents", retry_after=2))
    status, headers, _ = call(f"{org.pagerduty_url}/incidents", PAGERDUTY)
    assert (status, headers["ratelimit-reset"]) == (429, "2")
    assert call(f"{org.pagerduty_url}/incidents", PAGERDUTY)[0] == 200


def test_primary_limit_fault_refuses_until_the_reset_time(org):
    runs = f"{org.github_url}/repos/acme/shop/actions/runs"
    org.inject(Fault.primary_limit(reset_in=1, status=429))
    started = time.time()
    status, headers, _ = call(runs, GITHUB)
    answered = time.time()
    assert (status, headers["x-ratelimit-remaining"]) == (429, "0")
    # reset = the request's time + 1 s, rounded up to a whole second as GitHub sends it
    assert started + 1 <= int(headers["x-ratelimit-reset"]) <= math.ceil(answered + 1)
    assert call(runs, GITHUB)[0] == 429  # still spent
    assert graphql(org, "{ rateLimit { remaining } }")[0] == 200  # the graphql budget is another one
    time.sleep(max(int(headers["x-ratelimit-reset"]) - time.time(), 0) + 0.1)
    assert call(runs, GITHUB)[0] == 200


def test_slow_cut_and_invalid_json_faults(org):
    runs = f"{org.github_url}/repos/acme/shop/actions/runs"
    org.inject(Fault.slow(seconds=0.6))
    with pytest.raises((socket.timeout, urllib.error.URLError)):
        call(runs, GITHUB, timeout=0.2)

    org.inject(Fault.cut_connection(path="/releases"))
    with pytest.raises(http.client.IncompleteRead):
        call(f"{org.github_url}/repos/acme/shop/releases", GITHUB)

    org.inject(Fault.invalid_json(service="pagerduty"))
    status, _, raw = call(f"{org.pagerduty_url}/services", PAGERDUTY)
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)

    org.inject(Fault.graphql_errors())
    status, answer = graphql(org, "{ rateLimit { remaining } }")
    assert status == 200 and "data" not in answer and answer["errors"][0]["message"].startswith("Something went wrong")
    assert graphql(org, "{ rateLimit { remaining } }")[1]["data"]["rateLimit"]["remaining"] >= 0


# --- generator -------------------------------------------------------------------------------


def test_the_generator_is_deterministic_and_consistent():
    now = datetime(2025, 6, 2, 12, tzinfo=UTC)
    first = generate_scenario(now, seed=3, months=2)
    assert first == generate_scenario(now, seed=3, months=2)
    assert first != generate_scenario(now, seed=4, months=2)
    assert all(pr.first_commit_at is None or pr.first_commit_at < pr.created_at for pr in first.pull_requests)
    assert all(pr.merged_at is None or pr.created_at < pr.merged_at <= now for pr in first.pull_requests)
    merge_shas = {pr.merge_commit_sha for pr in first.pull_requests if pr.merged_at}
    deploys = [run for run in first.workflow_runs if run.workflow_name == "deploy"]
    assert deploys and all(run.head_branch == "main" and run.head_sha in merge_shas for run in deploys)
    assert [i.status for i in sorted(first.incidents, key=lambda i: i.created_at)[-2:]] == ["acknowledged", "triggered"]
    assert {pr.repo for pr in first.pull_requests} == {repo.full_name for repo in first.repos}
