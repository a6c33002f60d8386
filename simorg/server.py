"""The simulated org's HTTP server: a fake GitHub (REST + GraphQL) and PagerDuty on 127.0.0.1.

    with SimulatedOrg(scenario) as org:
        org.github_url          # http://127.0.0.1:PORT/api/v3   (GitHub Enterprise Server layout)
        org.github_graphql_url  # http://127.0.0.1:PORT/api/graphql
        org.pagerduty_url       # http://127.0.0.1:PORT/pagerduty
        org.gitlab_url          # http://127.0.0.1:PORT/gitlab/api/v4 (GraphQL: org.gitlab_graphql_url)
        org.jira_url            # http://127.0.0.1:PORT/jira (Cloud and Data Center APIs)
        org.inject(Fault.server_error(status=502, times=3, path="/actions/runs"))
        org.requests[("github", "actions/runs")]     # answered requests; ":304", ":refused" suffixes
        org.points_used["graphql"]                   # GitHub budget spent, per resource

This module is the HTTP edge: auth, GitHub's rate-limit budgets (simorg.ratelimit: REST 5,000
requests and GraphQL 5,000 points a window, an hour unless `rate_window` says otherwise), their
headers, ETags and 304s, faults, request counting. What each endpoint returns is in simorg.routes; GitLab and Jira
requests go to simorg.gitlab_jira (their edge) and simorg.gitlab_api / simorg.jira_api.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simorg import gitlab_api, jira_api
from simorg.faults import Fault, FaultQueue
from simorg.gitlab_jira import serve
from simorg.index import ScenarioIndex
from simorg.payloads import Urls
from simorg.ratelimit import WINDOW_SECONDS, RateBudget, query_cost, rate_limited
from simorg.routes import GITHUB_DOCS, Context, HttpError, Request, Response, find_route, service_of
from simorg.scenario import Scenario

UNCHARGED_ENDPOINTS = {"rate_limit"}
EDGES = {edge.prefix: edge for edge in (gitlab_api.EDGE, jira_api.EDGE)}


class SimulatedOrg:
    """Serves `scenario` until stopped. The scenario is re-read on every request unless
    frozen=True (then it is indexed once: for big benchmark scenarios that never change)."""

    def __init__(self, scenario: Scenario, *, port: int = 0, rate_limit: int = 5000,
                 rate_window: float = WINDOW_SECONDS, frozen: bool = False,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.scenario = scenario
        self.faults = FaultQueue()
        self.budget = RateBudget(rate_limit, rate_window)
        self.requests: Counter[tuple[str, str]] = Counter()
        self.points_used: Counter[str] = Counter()
        self.graphql_queries: set[str] = set()  # every distinct query text received
        self.graphql_log: list[tuple[str, dict]] = []  # every query received, with its variables, in order
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._frozen_index = ScenarioIndex(scenario) if frozen else None
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._count_lock = threading.Lock()

    # --- lifecycle ---

    def start(self) -> SimulatedOrg:
        handler = type("BoundHandler", (_Handler,), {"org": self})
        self._server = _Server(("127.0.0.1", self._port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="simorg", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SimulatedOrg:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- addresses ---

    @property
    def port(self) -> int:
        assert self._server is not None, "SimulatedOrg is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def github_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def github_graphql_url(self) -> str:
        return f"{self.base_url}/api/graphql"

    @property
    def pagerduty_url(self) -> str:
        return f"{self.base_url}/pagerduty"

    @property
    def gitlab_url(self) -> str:
        return f"{self.base_url}/gitlab/api/v4"

    @property
    def gitlab_graphql_url(self) -> str:
        return f"{self.base_url}/gitlab/api/graphql"

    @property
    def jira_url(self) -> str:
        return f"{self.base_url}/jira"

    # --- test controls ---

    def inject(self, *faults: Fault) -> None:
        for fault in faults:
            self.faults.add(fault)

    @property
    def rate_limit_used(self) -> int:
        """GitHub budget spent since the last reset_requests, REST and GraphQL together."""
        return sum(self.points_used.values())

    def reset_requests(self) -> None:
        with self._count_lock:
            self.requests.clear()
            self.points_used.clear()

    def _count(self, service: str, endpoint: str, points: int = 0, resource: str = "core") -> None:
        with self._count_lock:
            self.requests[(service, endpoint)] += 1
            if points:
                self.points_used[resource] += points

    def index(self) -> ScenarioIndex:
        return self._frozen_index or ScenarioIndex(self.scenario)

    def now(self) -> datetime:
        return self._clock()


def _token(service: str, authorization: str) -> str | None:
    """The token a request presents in its service's auth header format."""
    if service == "github":
        scheme, _, token = authorization.partition(" ")
        return token.strip() if scheme.lower() in ("bearer", "token") else None
    prefix = "Token token="
    return authorization[len(prefix):].strip() if authorization.startswith(prefix) else None


def _unauthorized(service: str) -> Response:
    if service == "github":
        return Response(401, {"message": "Bad credentials", "documentation_url": GITHUB_DOCS, "status": "401"})
    return Response(401, {"error": {"message": "Unauthorized", "code": 2006}})


def _fault_response(fault: Fault, service: str) -> Response:
    """The answer for faults that replace the real answer entirely."""
    retry = str(max(int(fault.seconds), 0))
    if fault.kind == "too_many_requests" and service == "pagerduty":
        return Response(429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                        {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": retry})
    if fault.kind == "too_many_requests":
        return Response(429, {"message": "Too many requests", "documentation_url": GITHUB_DOCS},
                        {"retry-after": retry})
    if fault.kind == "secondary_limit":
        return Response(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                                         "before you try again.", "documentation_url": GITHUB_DOCS},
                        {"retry-after": retry})
    if fault.kind == "graphql_errors":
        return Response(200, {"errors": [{"message": "Something went wrong while executing your query. This may be "
                                                     "the result of a timeout, or it could be a GitHub bug."}]})
    assert fault.kind == "server_error", fault.kind
    if service == "pagerduty":
        return Response(fault.status, {"error": {"message": "Internal Server Error", "code": 2000}})
    return Response(fault.status, {"message": "Server Error"} if fault.status == 500 else None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (its timeout, a slow fault) is normal here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    org: SimulatedOrg
    protocol_version = "HTTP/1.1"
    server_version = "simorg"
    # Kept-alive connections otherwise wait ~40 ms per answer (Nagle + delayed ACK), as no real API does.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read counters instead
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        org = self.org
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        edge = EDGES.get("/" + split.path.split("/", 2)[1])
        if edge is not None:  # GitLab and Jira (simorg.gitlab_jira)
            answer = serve(edge, org, method, split.path, parse_qsl(split.query, keep_blank_values=True),
                           self.headers, body, self.headers.get("Host") or f"127.0.0.1:{org.port}")
            payload = _encode(answer.response.body)
            self._send(Response(answer.response.status, payload[: len(payload) // 2] if answer.truncate else payload,
                                answer.response.headers), cut=answer.cut)
            return
        service = service_of(split.path)
        found = find_route(method, split.path)
        endpoint = found[0].endpoint if found else "unknown"
        if service is None:
            self._send(Response(404, {"message": "Not Found"}))
            return
        host = self.headers.get("Host") or f"127.0.0.1:{org.port}"
        request = Request(service, method, split.path, parse_qsl(split.query, keep_blank_values=True),
                          Urls(f"http://{host}"), body)
        token = _token(service, self.headers.get("Authorization", ""))
        expected = org.scenario.github_token if service == "github" else org.scenario.pagerduty_token
        if token != expected:
            org._count(service, endpoint)
            self._send(_unauthorized(service))
            return
        resource = "graphql" if endpoint == "graphql" else "core"
        window = org.budget.window(token, resource)

        fault = org.faults.take(service, split.path)
        if fault is not None and fault.kind == "primary_limit":
            org.budget.exhaust(token, resource, fault.seconds, fault.status)
            window = org.budget.window(token, resource)
        if service == "github" and window.remaining == 0 and endpoint not in UNCHARGED_ENDPOINTS:
            self._refuse(endpoint, resource, window)
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault is not None and fault.kind not in ("cut_connection", "invalid_json", "primary_limit"):
            org._count(service, endpoint)
            self._send(_fault_response(fault, service), window.headers(resource) if service == "github" else {})
            return

        points = nodes = 0
        if service == "github" and endpoint == "graphql":
            # charged before running, so the query's own rateLimit field reports this request
            body_json = _json_or_empty(body)
            if isinstance(body_json.get("query"), str):
                org.graphql_queries.add(body_json["query"])
                org.graphql_log.append((body_json["query"], body_json.get("variables") or {}))
            points, nodes = query_cost(body_json)
            charged = org.budget.charge(token, resource, points)
            if charged is None:
                self._refuse(endpoint, resource, window)
                return
            window = charged
        context = Context(org.index(), org.now(), lambda r: org.budget.window(token, r), (points, nodes))
        if found is None:
            response = HttpError.not_found(service).response
        else:
            try:
                response = found[0].handler(context, request, found[1])
            except HttpError as error:
                response = error.response
        payload = _encode(response.body)

        extra: dict[str, str] = {}
        if service == "github":
            if method == "GET" and response.status == 200:
                etag = '"' + hashlib.sha256(payload).hexdigest()[:40] + '"'
                extra["ETag"] = etag
                if etag in _etags(self.headers.get("If-None-Match", "")):
                    org._count(service, f"{endpoint}:304")
                    self._send(Response(304, None, response.headers | extra), window.headers(resource))
                    return
            if endpoint not in UNCHARGED_ENDPOINTS and endpoint != "graphql":
                points = 1
                window = org.budget.charge(token, resource, points) or window
            extra |= window.headers(resource)
        org._count(service, endpoint, points, resource)

        if fault is not None and fault.kind == "invalid_json":
            payload = payload[: len(payload) // 2]
        self._send(Response(response.status, payload, response.headers), extra,
                   cut=fault is not None and fault.kind == "cut_connection")

    def _refuse(self, endpoint: str, resource: str, window) -> None:
        """A request the spent budget cannot pay for: REST 403/429 with remaining 0, GraphQL HTTP
        200 with a RATE_LIMITED error (remaining need not be 0: the query cost more than is left)."""
        self.org._count("github", f"{endpoint}:refused")
        if resource == "graphql":
            self._send(Response(200, rate_limited()), window.headers(resource))
            return
        self._send(Response(window.refused_status, {
            "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
                       "please include the request ID.",
            "documentation_url": GITHUB_DOCS,
        }), window.headers(resource))

    def _send(self, response: Response, extra_headers: dict[str, str] | None = None, cut: bool = False) -> None:
        """Write the response; `cut` announces the full length but sends half and hangs up."""
        payload = response.body if isinstance(response.body, bytes) else _encode(response.body)
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8"} | response.headers | (extra_headers or {})
        for name, value in headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if response.status == 304:
            return
        if cut:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)


def _encode(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, separators=(",", ":")).encode()


def _json_or_empty(body: bytes) -> dict:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
