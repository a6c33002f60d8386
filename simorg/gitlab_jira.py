"""The HTTP edge of the simulated GitLab (under /gitlab) and Jira (under /jira): auth, injected
faults and request counting, for the endpoints of simorg.gitlab_api and simorg.jira_api.

The GitHub/PagerDuty edge lives in simorg.server; these two APIs differ enough (their own auth
schemes, rate-limit headers and error bodies) that each describes itself as an `Edge`, and the
server hands every request under a registered prefix to `serve`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simorg.faults import Fault
from simorg.payloads import Urls
from simorg.routes import Context, Handler, HttpError, Request, Response
from simorg.scenario import Scenario


@dataclass(frozen=True)
class EdgeRoute:
    method: str
    pattern: re.Pattern
    endpoint: str  # the name requests are counted under
    handler: Handler


def route(method: str, pattern: str, endpoint: str, handler: Handler) -> EdgeRoute:
    return EdgeRoute(method, re.compile(pattern + r"/?"), endpoint, handler)


@dataclass(frozen=True)
class Edge:
    name: str  # "gitlab": the service faults and request counters name
    prefix: str  # "/gitlab": every path of the service starts with it
    routes: list[EdgeRoute]
    authorized: Callable[[Scenario, Mapping[str, str]], bool]  # (scenario, request headers)
    unauthorized: Response
    not_found: Response
    fault_response: Callable[[Fault], Response]  # for too_many_requests and server_error faults


@dataclass
class Answer:
    response: Response
    cut: bool = False  # send half the body and hang up (a cut_connection fault)
    truncate: bool = False  # send half the JSON with status 200 (an invalid_json fault)


def serve(edge: Edge, org, method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str],
          body: bytes, host: str) -> Answer:
    """The answer to one request under `edge.prefix`; `org` is the SimulatedOrg (faults, counters, index)."""
    found = next(((r, m) for r in edge.routes if r.method == method and (m := r.pattern.fullmatch(path))), None)
    endpoint = found[0].endpoint if found else "unknown"
    org._count(edge.name, endpoint)
    if not edge.authorized(org.scenario, headers):
        return Answer(edge.unauthorized)
    fault = org.faults.take(edge.name, path)
    if fault is not None and fault.kind in ("too_many_requests", "server_error"):
        return Answer(edge.fault_response(fault))
    if fault is not None and fault.kind == "slow":
        import time

        time.sleep(fault.seconds)
    if found is None:
        return Answer(edge.not_found)
    request = Request(edge.name, method, path, query, Urls(f"http://{host}"), body)
    context = Context(org.index(), org.now(), lambda resource: None)
    try:
        response = found[0].handler(context, request, found[1].groupdict())
    except HttpError as error:
        response = error.response
    kind = fault.kind if fault is not None else None
    if kind == "repeated_page_token":
        response = _repeat_page_token(request, response)
    return Answer(response, cut=kind == "cut_connection", truncate=kind == "invalid_json")


def _repeat_page_token(request: Request, response: Response) -> Response:
    """The answer's nextPageToken replaced by the one the request carried (JSON body or query)."""
    try:
        sent = json.loads(request.body or b"{}").get("nextPageToken") if request.method == "POST" else None
    except ValueError:
        sent = None
    given = sent or request.arg("nextPageToken")
    if not given or not isinstance(response.body, dict) or "nextPageToken" not in response.body:
        return response
    return Response(response.status, {**response.body, "nextPageToken": given}, response.headers)
