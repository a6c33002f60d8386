"""The endpoints of the simulated GitHub (REST under /api/v3, GraphQL at /api/graphql) and
PagerDuty (under /pagerduty): which records each returns, in which order, in which pages.

Handlers are pure functions of (context, request, path parameters) -> Response; the server
(simorg.server) does auth, rate limits, ETags, faults and the HTTP itself.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from simorg import issues_api, payloads
from simorg.filters import InvalidFilter, add_months, created_range, parse_instant
from simorg.graphql_api import GraphQLContext, run_query
from simorg.index import ScenarioIndex
from simorg.payloads import Urls
from simorg.ratelimit import Window
from simorg.scenario import Repo

GITHUB_DOCS = "https://docs.github.com/rest"
RUNS_FILTERS = ("created", "branch", "event", "status", "actor", "head_sha")
RUNS_FILTER_CAP = 1000  # GitHub pages at most this many runs when any filter is given
PAGERDUTY_MAX_OFFSET = 10_000
PAGERDUTY_MAX_MONTHS = 6


@dataclass
class Request:
    service: str  # "github" or "pagerduty"
    method: str
    path: str  # the full request path, without the query string
    query: list[tuple[str, str]]
    urls: Urls
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.query if key == name), default)

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise HttpError.invalid(self.service, f"{name} must be an integer, got {value!r}") from None


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable; None for no body
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(status, body)
        self.response = Response(status, body)

    @classmethod
    def not_found(cls, service: str) -> HttpError:
        if service == "pagerduty":
            return cls(404, {"error": {"message": "Not Found", "code": 2100}})
        return cls(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS, "status": "404"})

    @classmethod
    def invalid(cls, service: str, detail: str) -> HttpError:
        if service == "pagerduty":
            return cls(400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [detail]}})
        return cls(422, {"message": "Validation Failed", "errors": [detail], "documentation_url": GITHUB_DOCS,
                         "status": "422"})


@dataclass
class Context:
    index: ScenarioIndex
    now: datetime
    rate: Callable[[str], Window]  # resource ("core", "graphql") -> this token's current window
    query_cost: tuple[int, int] = (1, 0)  # a GraphQL request's (points, nodes), already charged


Handler = Callable[[Context, Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    pattern: re.Pattern
    endpoint: str  # the name requests are counted under
    handler: Handler


# --- paging ------------------------------------------------------------------------------


def github_page(request: Request, items: Sequence, render: Callable[[Any], dict], *,
                reachable: int | None = None) -> tuple[list[dict], dict[str, str]]:
    """One page of items and its Link header, as GitHub pages with per_page/page. Only the
    first `reachable` items can be paged to (GitHub's cap on filtered workflow runs)."""
    per_page = min(max(request.int_arg("per_page", 30), 1), 100)
    page = max(request.int_arg("page", 1), 1)
    count = len(items) if reachable is None else min(len(items), reachable)
    start = (page - 1) * per_page
    chunk = [render(item) for item in items[start : min(start + per_page, count)]] if start < count else []
    last = max(math.ceil(count / per_page), 1)
    links = []
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    if page < last:
        links += [(page + 1, "next"), (last, "last")]
    if page > 1:
        links.append((1, "first"))
    headers = {}
    if links:
        headers["Link"] = ", ".join(f'<{_page_url(request, number)}>; rel="{rel}"' for number, rel in links)
    return chunk, headers


def _page_url(request: Request, page: int) -> str:
    query = [(k, v) for k, v in request.query if k != "page"] + [("page", str(page))]
    return f"{request.urls.host}{request.path}?{urlencode(query)}"


def pagerduty_page(request: Request, key: str, items: Sequence, render: Callable[[Any], dict]) -> Response:
    """Classic PagerDuty offset paging: limit <= 100 (default 25), offset, more, total."""
    limit = min(max(request.int_arg("limit", 25), 1), 100)
    offset = max(request.int_arg("offset", 0), 0)
    if offset + limit > PAGERDUTY_MAX_OFFSET:
        raise HttpError.invalid(
            "pagerduty", f"Offset + limit must be at most {PAGERDUTY_MAX_OFFSET} (got {offset} + {limit})."
        )
    page = [render(item) for item in items[offset : offset + limit]]
    total = len(items) if request.arg("total") == "true" else None
    return Response(200, {key: page, "limit": limit, "offset": offset, "more": offset + limit < len(items),
                          "total": total})


# --- GitHub REST -------------------------------------------------------------------------


def _repo(context: Context, params: dict[str, str]) -> Repo:
    repo = context.index.repo(f"{params['owner']}/{params['repo']}")
    if repo is None:
        raise HttpError.not_found("github")
    return repo


def list_workflow_runs(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    filters = {name: request.arg(name) for name in RUNS_FILTERS if request.arg(name)}
    try:
        low, high = created_range(filters["created"]) if "created" in filters else (None, None)
    except InvalidFilter as error:
        raise HttpError.invalid("github", f"created: {error}") from None

    def matching() -> list:
        newest_first = context.index.sorted_records("workflow_runs", repo, "created_at", True)
        return [
            run for run in newest_first
            if (low is None or run.created_at >= low) and (high is None or run.created_at < high)
            and filters.get("branch", run.head_branch) == run.head_branch
            and filters.get("event", run.event) == run.event
            and filters.get("status") in (None, run.status, run.conclusion)
            and filters.get("actor", run.actor) == run.actor
            and filters.get("head_sha", run.head_sha) == run.head_sha
        ]

    runs = context.index.memo(("runs", repo.full_name, tuple(sorted(filters.items()))), matching)
    page, headers = github_page(request, runs, lambda run: payloads.workflow_run(run, repo, request.urls),
                                reachable=RUNS_FILTER_CAP if filters else None)
    return Response(200, {"total_count": len(runs), "workflow_runs": page}, headers)


def list_releases(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    releases = context.index.sorted_records("releases", repo, "created_at", True)
    page, headers = github_page(request, releases, lambda rel: payloads.release(rel, repo, request.urls))
    return Response(200, page, headers)


def get_release(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    release = next((r for r in context.index.sorted_records("releases", repo, "created_at", True)
                    if str(r.id) == params["release_id"]), None)
    if release is None:
        raise HttpError.not_found("github")
    return Response(200, payloads.release(release, repo, request.urls))


def list_pulls(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    state = request.arg("state", "open")
    sort = request.arg("sort", "created")
    if state not in ("open", "closed", "all") or sort not in ("created", "updated"):
        raise HttpError.invalid("github", "state must be open, closed or all; sort created or updated")
    direction = request.arg("direction", "desc" if sort == "created" else "asc")
    base, head = request.arg("base"), request.arg("head")
    ordered = context.index.sorted_records("pull_requests", repo, f"{sort}_at", direction == "desc")
    pulls = [
        pr for pr in ordered
        if (state == "all" or (pr.state == "open") == (state == "open"))
        and base in (None, pr.base_ref)
        and head in (None, f"{repo.owner}:{pr.head_ref}")
    ]
    page, headers = github_page(request, pulls, lambda pr: payloads.pull_request(pr, repo, request.urls))
    return Response(200, page, headers)


def list_issues(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    try:
        issues = issues_api.matching(context.index, repo, request.arg)
    except InvalidFilter as error:
        raise HttpError.invalid("github", str(error)) from None
    page, headers = github_page(request, issues, lambda item: issues_api.payload(item, repo, request.urls))
    return Response(200, page, headers)


def list_deployments(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    wanted = {name: request.arg(name) for name in ("sha", "ref", "task", "environment") if request.arg(name)}
    deployments = [
        dep for dep in context.index.sorted_records("deployments", repo, "created_at", True)
        if all(getattr(dep, name) == value for name, value in wanted.items())
    ]
    page, headers = github_page(request, deployments, lambda dep: payloads.deployment(dep, repo, request.urls))
    return Response(200, page, headers)


def list_deployment_statuses(context: Context, request: Request, params: dict[str, str]) -> Response:
    repo = _repo(context, params)
    deployment = next(
        (d for d in context.index.sorted_records("deployments", repo, "created_at", True)
         if str(d.id) == params["deployment_id"]),
        None,
    )
    if deployment is None:
        raise HttpError.not_found("github")
    newest_first = list(reversed(deployment.statuses))
    page, headers = github_page(
        request, newest_first, lambda s: payloads.deployment_status(s, deployment, repo, request.urls)
    )
    return Response(200, page, headers)


def list_owner_repos(context: Context, request: Request, params: dict[str, str]) -> Response:
    repos = context.index.repos_of(params["owner"])
    if not repos:
        raise HttpError.not_found("github")
    page, headers = github_page(request, repos, lambda repo: payloads.repository_full(repo, request.urls))
    return Response(200, page, headers)


def rate_limit(context: Context, request: Request, params: dict[str, str]) -> Response:
    resources = {}
    for resource in ("core", "graphql"):
        window = context.rate(resource)
        resources[resource] = {"limit": window.limit, "used": window.used, "remaining": window.remaining,
                               "reset": window.reset}
    return Response(200, payloads.rate_limit(resources))


def graphql(context: Context, request: Request, params: dict[str, str]) -> Response:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return Response(400, {"message": "Problems parsing JSON", "documentation_url": GITHUB_DOCS})
    graphql_context = GraphQLContext(context.index, request.urls, context.rate("graphql"), *context.query_cost)
    return Response(200, run_query(body, graphql_context))


# --- PagerDuty ---------------------------------------------------------------------------

INCIDENT_SORT_KEYS = {
    "created_at": lambda i: (i.created_at, i.incident_number),
    "resolved_at": lambda i: (i.resolved_at is None, i.resolved_at or i.created_at, i.incident_number),
    "incident_number": lambda i: i.incident_number,
    "urgency": lambda i: (i.urgency, i.incident_number),
}


def _incident_window(context: Context, request: Request) -> tuple[datetime | None, datetime | None]:
    """[since, until) over created_at: one month from `since`, the last month without either,
    everything with date_range=all; more than six months is refused like PagerDuty does."""
    if request.arg("date_range") == "all":
        return None, None
    try:
        since = parse_instant(request.arg("since")) if request.arg("since") else None
        until = parse_instant(request.arg("until")) if request.arg("until") else None
    except InvalidFilter as error:
        raise HttpError.invalid("pagerduty", str(error)) from None
    if since is None and until is None:
        until = context.now
    if since is None:
        since = add_months(until, -1)
    if until is None:
        until = add_months(since, 1)
    if until < since:
        raise HttpError.invalid("pagerduty", "since must be before until.")
    if until > add_months(since, PAGERDUTY_MAX_MONTHS):
        raise HttpError.invalid(
            "pagerduty", f"The date range between since and until must not exceed {PAGERDUTY_MAX_MONTHS} months."
        )
    return since, until


def list_incidents(context: Context, request: Request, params: dict[str, str]) -> Response:
    since, until = _incident_window(context, request)
    field_name, _, direction = (request.arg("sort_by") or "created_at").partition(":")
    if field_name not in INCIDENT_SORT_KEYS or direction not in ("", "asc", "desc"):
        raise HttpError.invalid("pagerduty", f"sort_by {request.arg('sort_by')!r} is not supported.")
    statuses, services = set(request.args("statuses[]")), set(request.args("service_ids[]"))
    urgencies, team_ids = set(request.args("urgencies[]")), set(request.args("team_ids[]"))

    def matching() -> list:
        found = [
            incident for incident in context.index.scenario.incidents
            if (since is None or incident.created_at >= since) and (until is None or incident.created_at < until)
            and (not statuses or incident.status in statuses)
            and (not services or incident.service_id in services)
            and (not urgencies or incident.urgency in urgencies)
            and (not team_ids or team_ids & {payloads.pd_id("team", name) for name in incident.teams})
        ]
        return sorted(found, key=INCIDENT_SORT_KEYS[field_name], reverse=direction == "desc")

    key = ("incidents", since, until, field_name, direction, *(tuple(sorted(s)) for s in
                                                               (statuses, services, urgencies, team_ids)))
    incidents = context.index.memo(key, matching)
    return pagerduty_page(
        request, "incidents", incidents,
        lambda i: payloads.incident(i, context.index.service(i.service_id), request.urls),
    )


def get_incident(context: Context, request: Request, params: dict[str, str]) -> Response:
    incident = next((i for i in context.index.scenario.incidents if i.id == params["incident_id"]), None)
    if incident is None:
        raise HttpError.not_found("pagerduty")
    service = context.index.service(incident.service_id)
    return Response(200, {"incident": payloads.incident(incident, service, request.urls)})


def list_services(context: Context, request: Request, params: dict[str, str]) -> Response:
    return pagerduty_page(request, "services", context.index.services(),
                          lambda s: payloads.service(s, request.urls))


# --- the table ---------------------------------------------------------------------------

_REPO = r"/api/v3/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def _route(service: str, method: str, pattern: str, endpoint: str, handler: Handler) -> Route:
    return Route(service, method, re.compile(pattern + r"/?"), endpoint, handler)


ROUTES = [
    _route("github", "POST", r"/api/graphql", "graphql", graphql),
    _route("github", "GET", r"/api/v3/rate_limit", "rate_limit", rate_limit),
    _route("github", "GET", _REPO + r"/actions/runs", "actions/runs", list_workflow_runs),
    _route("github", "GET", _REPO + r"/releases", "releases", list_releases),
    _route("github", "GET", _REPO + r"/releases/(?P<release_id>\d+)", "release", get_release),
    _route("github", "GET", _REPO + r"/pulls", "pulls", list_pulls),
    _route("github", "GET", _REPO + r"/issues", "issues", list_issues),
    _route("github", "GET", _REPO + r"/deployments", "deployments", list_deployments),
    _route("github", "GET", _REPO + r"/deployments/(?P<deployment_id>\d+)/statuses", "deployment_statuses",
           list_deployment_statuses),
    _route("github", "GET", r"/api/v3/(?:orgs|users)/(?P<owner>[^/]+)/repos", "repos", list_owner_repos),
    _route("pagerduty", "GET", r"/pagerduty/incidents", "incidents", list_incidents),
    _route("pagerduty", "GET", r"/pagerduty/incidents/(?P<incident_id>[^/]+)", "incident", get_incident),
    _route("pagerduty", "GET", r"/pagerduty/services", "services", list_services),
]


def service_of(path: str) -> str | None:
    if path.startswith("/api/"):
        return "github"
    if path.startswith("/pagerduty"):
        return "pagerduty"
    return None


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match and route.method == method:
            return route, match.groupdict()
    return None
