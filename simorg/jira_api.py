"""The simulated Jira under /jira: Cloud's enhanced search (`/rest/api/3/search/jql`, paged by
nextPageToken, no total) and changelog bulk fetch, and Data Center's `/rest/api/2/search`
(startAt/total, `expand=changelog` embeds the histories).

JQL is understood only as far as a DORA extractor writes it: clauses joined by AND, each
`field = value`, `field != value`, `field [not] in (a, b)` or `field >=|>|<=|< "yyyy-MM-dd HH:mm"` over
project, issuetype, status, statusCategory, priority, labels, component, created, updated; outer
parentheses; ORDER BY updated|created|key [ASC|DESC]. Anything else is a 400 naming the clause,
so an extractor that writes other JQL fails here instead of silently matching everything.
Like Cloud, an unbounded query (no clause) is refused, fields default to the id only, and
`/rest/api/3/search` (the old search) answers 410.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from simorg.faults import Fault
from simorg.gitlab_jira import Edge, route
from simorg.payloads import Urls
from simorg.routes import Context, HttpError, Request, Response
from simorg.scenario import JiraIssue, Scenario

PREFIX = "/jira"
MAX_RESULTS = 100
MAX_CHANGELOGS = 1000
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}


def jira_time(value: datetime | None) -> str | None:
    """Jira writes 2024-01-10T11:00:00.000+0000."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _bad_request(message: str) -> HttpError:
    return HttpError(400, {"errorMessages": [message], "errors": {}})


# --- JQL -----------------------------------------------------------------------------------

_CLAUSE = re.compile(r'^\s*(?P<field>[A-Za-z]+)\s*(?P<op>!=|>=|<=|=|>|<|\bnot\s+in\b|\bin\b)\s*(?P<value>.+?)\s*$',
                     re.IGNORECASE)
_SPLIT_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_ORDER = re.compile(r"\s*ORDER\s+BY\s+(?P<field>\w+)(\s+(?P<direction>ASC|DESC))?\s*$", re.IGNORECASE)


def _values(issue: JiraIssue) -> dict[str, Callable[[], object]]:
    return {
        "project": lambda: issue.project, "issuetype": lambda: issue.issue_type, "status": lambda: issue.status,
        "statuscategory": lambda: CATEGORY_NAMES[issue.status_category], "priority": lambda: issue.priority,
        "labels": lambda: issue.labels, "component": lambda: issue.components,
        "created": lambda: issue.created, "updated": lambda: issue.updated,
    }


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text


def _jql_time(text: str) -> datetime:
    try:
        return datetime.strptime(_unquote(text), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _bad_request(f"Date value '{_unquote(text)}' for field is invalid (use \"yyyy-MM-dd HH:mm\").") from None


def _strip_parentheses(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _clause_predicate(text: str) -> Callable[[JiraIssue], bool]:
    match = _CLAUSE.match(_strip_parentheses(text))
    field = match["field"].lower() if match else ""
    if not match or field not in _values(JiraIssue(0, "X-1", "", "", "", "new", datetime.now(), datetime.now())):
        raise _bad_request(f"Error in the JQL Query: the simulated Jira does not understand '{text.strip()}'.")
    op, raw = " ".join(match["op"].lower().split()), match["value"]
    if field in ("created", "updated"):
        if op not in (">=", ">", "<=", "<"):
            raise _bad_request(f"Operator '{op}' is not supported for field '{field}' here.")
        bound = _jql_time(raw)
        compare = {">=": lambda v: v >= bound, ">": lambda v: v > bound, "<=": lambda v: v <= bound,
                   "<": lambda v: v < bound}[op]
        return lambda issue: compare(_values(issue)[field]())
    if op in ("in", "not in"):
        wanted = {_unquote(v) for v in _strip_parentheses(raw).split(",")}
    elif op in ("=", "!="):
        wanted = {_unquote(raw)}
    else:
        raise _bad_request(f"Operator '{op}' is not supported for field '{field}'.")

    def matches(issue: JiraIssue) -> bool:
        value = _values(issue)[field]()
        found = bool(wanted & set(value)) if isinstance(value, list) else value in wanted
        return found if op not in ("!=", "not in") else not found

    return matches


def parse_jql(jql: str) -> tuple[Callable[[JiraIssue], bool], Callable[[list[JiraIssue]], list[JiraIssue]]]:
    """(filter, order) for a JQL query; raises a 400 for what the simulation does not know."""
    order = _ORDER.search(jql)
    where = jql[: order.start()] if order else jql
    clauses = [c for c in _SPLIT_AND.split(_strip_parentheses(where)) if c.strip()] if where.strip() else []
    predicates = [_clause_predicate(clause) for clause in clauses]
    field = (order["field"].lower() if order else "key")
    if field not in ("updated", "created", "key"):
        raise _bad_request(f"Ordering by '{field}' is not supported here.")
    descending = bool(order and (order["direction"] or "").upper() == "DESC")

    def sort(issues: list[JiraIssue]) -> list[JiraIssue]:
        key = (lambda i: (i.project, int(i.key.split("-")[1]))) if field == "key" \
            else (lambda i: (getattr(i, field), i.id))
        return sorted(issues, key=key, reverse=descending)

    return (lambda issue: all(p(issue) for p in predicates)), sort


# --- payloads ------------------------------------------------------------------------------


def _history(transition, issue_id: int) -> dict:
    return {
        "id": str(transition.id), "author": {"accountId": "557058:bot", "displayName": "Automation"},
        "created": jira_time(transition.at),
        "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1",
                   "fromString": transition.from_status, "to": "2", "toString": transition.to_status}],
    }


def issue_payload(issue: JiraIssue, fields: list[str], urls: Urls, api: str) -> dict:
    everything = {
        "summary": issue.summary,
        "issuetype": {"id": "10001", "name": issue.issue_type, "subtask": False},
        "status": {"name": issue.status, "id": str(sum(map(ord, issue.status))),
                   "statusCategory": {"key": issue.status_category, "name": CATEGORY_NAMES[issue.status_category]}},
        "priority": {"name": issue.priority, "id": "3"} if issue.priority else None,
        "labels": list(issue.labels),
        "components": [{"id": str(10000 + n), "name": name} for n, name in enumerate(issue.components)],
        "project": {"id": str(sum(map(ord, issue.project))), "key": issue.project, "name": issue.project.title()},
        "created": jira_time(issue.created), "updated": jira_time(issue.updated),
        "resolutiondate": jira_time(issue.resolutiondate),
        "statuscategorychangedate": jira_time(issue.status_category_changed),
        "resolution": {"name": "Done"} if issue.resolutiondate else None,
    }
    wanted = everything if "*all" in fields else {name: everything[name] for name in fields if name in everything}
    payload = {"expand": "renderedFields,names,schema,changelog", "id": str(issue.id),
               "self": f"{urls.host}{PREFIX}/rest/api/{api}/issue/{issue.id}", "key": issue.key}
    if wanted:
        payload["fields"] = wanted
    return payload


def _fields(request: Request, body: dict) -> list[str]:
    fields = body.get("fields") or [f for value in request.args("fields") for f in value.split(",") if f]
    return [field.strip() for field in fields]


def _body(request: Request) -> dict:
    if request.method != "POST":
        return {}
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        raise _bad_request("The request body is not valid JSON.") from None


def _matching(context: Context, jql: str) -> list[JiraIssue]:
    keep, order = parse_jql(jql)
    return order([issue for issue in context.index.scenario.jira_issues if keep(issue)])


def _token(position: int) -> str:
    return base64.b64encode(json.dumps({"position": position}).encode()).decode()


def _position(token: str | None) -> int:
    try:
        return json.loads(base64.b64decode(token))["position"] if token else 0
    except ValueError:
        raise _bad_request("The provided next page token is invalid or expired.") from None


def search_jql(context: Context, request: Request, params: dict[str, str]) -> Response:
    """Cloud enhanced search: issues, nextPageToken (absent on the last page), isLast."""
    body = _body(request)
    jql = body.get("jql", request.arg("jql", ""))
    if not _ORDER.sub("", jql).strip():
        raise _bad_request("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
    issues = _matching(context, jql)
    start = _position(body.get("nextPageToken", request.arg("nextPageToken")))
    size = min(max(int(body.get("maxResults", request.int_arg("maxResults", 50))), 1), MAX_RESULTS)
    chunk, fields = issues[start : start + size], _fields(request, body)
    answer: dict = {"issues": [issue_payload(issue, fields, request.urls, "3") for issue in chunk],
                    "isLast": start + size >= len(issues)}
    if not answer["isLast"]:
        answer["nextPageToken"] = _token(start + size)
    return Response(200, answer)


def bulk_changelog(context: Context, request: Request, params: dict[str, str]) -> Response:
    """POST /rest/api/3/changelog/bulkfetch: status histories, oldest first, paged by nextPageToken
    over histories (maxResults <= 1000), for at most 1,000 issues."""
    body = _body(request)
    wanted = body.get("issueIdsOrKeys") or []
    if not wanted or len(wanted) > 1000:
        raise _bad_request("issueIdsOrKeys must name 1 to 1000 issues.")
    field_ids = body.get("fieldIds") or []
    issues = [i for i in context.index.scenario.jira_issues if str(i.id) in map(str, wanted) or i.key in wanted]
    histories = [(issue, t) for issue in issues for t in sorted(issue.transitions, key=lambda t: (t.at, t.id))
                 if not field_ids or "status" in field_ids]
    start = _position(body.get("nextPageToken"))
    size = min(max(int(body.get("maxResults", MAX_CHANGELOGS)), 1), MAX_CHANGELOGS)
    logs: dict[int, list] = {}
    for issue, transition in histories[start : start + size]:
        logs.setdefault(issue.id, []).append(_history(transition, issue.id))
    answer: dict = {"issueChangeLogs": [{"issueId": str(i), "changeHistories": h} for i, h in logs.items()]}
    if start + size < len(histories):
        answer["nextPageToken"] = _token(start + size)
    return Response(200, answer)


def search_v2(context: Context, request: Request, params: dict[str, str]) -> Response:
    """Data Center search: startAt/maxResults/total; expand=changelog embeds all histories."""
    body = _body(request)
    jql = body.get("jql", request.arg("jql", ""))
    issues = _matching(context, jql)
    start = max(int(body.get("startAt", request.int_arg("startAt", 0))), 0)
    size = min(max(int(body.get("maxResults", request.int_arg("maxResults", 50))), 1), MAX_RESULTS)
    expand = body.get("expand") or request.arg("expand", "") or ""
    expand = ",".join(expand) if isinstance(expand, list) else expand
    fields = _fields(request, body) or ["*all"]
    rendered = []
    for issue in issues[start : start + size]:
        payload = issue_payload(issue, fields, request.urls, "2")
        if "changelog" in expand.split(","):
            histories = [_history(t, issue.id) for t in sorted(issue.transitions, key=lambda t: (t.at, t.id))]
            payload["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                                    "histories": histories}
        rendered.append(payload)
    return Response(200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(issues),
                          "issues": rendered})


def old_cloud_search(context: Context, request: Request, params: dict[str, str]) -> Response:
    return Response(410, {"errorMessages": ["The requested API has been removed. Please migrate to the "
                                            "/rest/api/3/search/jql API."], "errors": {}})


# --- the edge ------------------------------------------------------------------------------


def _authorized(scenario: Scenario, headers: Mapping[str, str]) -> bool:
    """Cloud: Basic email:API token. Data Center: Bearer personal access token."""
    scheme, _, credential = headers.get("Authorization", "").partition(" ")
    if scheme == "Basic":
        expected = base64.b64encode(f"{scenario.jira_email}:{scenario.jira_token}".encode()).decode()
        return credential.strip() == expected
    return scheme == "Bearer" and credential.strip() == scenario.jira_token


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "too_many_requests":
        seconds = max(int(fault.seconds), 0)
        reset = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + seconds, timezone.utc)
        return Response(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, {
            "Retry-After": str(seconds), "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"), "RateLimit-Reason": "jira-burst-based",
        })
    return Response(fault.status, {"errorMessages": ["Internal server error"], "errors": {}})


EDGE = Edge(
    name="jira",
    prefix=PREFIX,
    routes=[
        route("GET", r"/jira/rest/api/3/search/jql", "search_jql", search_jql),
        route("POST", r"/jira/rest/api/3/search/jql", "search_jql", search_jql),
        route("POST", r"/jira/rest/api/3/changelog/bulkfetch", "changelog_bulkfetch", bulk_changelog),
        route("GET", r"/jira/rest/api/2/search", "search", search_v2),
        route("POST", r"/jira/rest/api/2/search", "search", search_v2),
        route("GET", r"/jira/rest/api/3/search", "old_search", old_cloud_search),
    ],
    authorized=_authorized,
    unauthorized=Response(401, {"errorMessages": ["You are not authenticated. Authentication required to perform "
                                                  "this operation."], "errors": {}}),
    not_found=Response(404, {"errorMessages": ["Not found"], "errors": {}}),
    fault_response=_fault_response,
)
