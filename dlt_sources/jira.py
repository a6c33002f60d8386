"""Jira source: the issues a configurable JQL selects, and their status changes.

Two flavours, chosen by whether `email` is set:
- Cloud (`email` + API token, basic auth): `POST /rest/api/3/search/jql` paged by
  nextPageToken (the old `/search` answers 410 on Cloud); status changes come complete from
  `POST /rest/api/3/changelog/bulkfetch` for each page of issues (an embedded changelog keeps
  only the newest histories);
- Data Center (personal access token as Bearer): `POST /rest/api/2/search` paged by startAt,
  with `expand=changelog`.

Each project the JQL selects keeps its own cursor (dlt_sources.progress): a run asks, per known
project, `(<jql>) AND project = "<key>" AND updated >= "<cursor - lookback>" ORDER BY updated
ASC`, and once for every project not known yet, `(<jql>) AND project not in (<known>) AND
updated >= "<backfill start>"`: a project added to the JQL later (or one whose first matching
issue appears later) gets its whole `backfill_days`, and becomes known. JQL reads a time in the
Jira user's time zone at minute precision; the lookback (default 72 h) is far wider than any
offset, and rows merge on their id. Oldest change first, each page moves a read forward, so a
run stopped part-way continues there next time. Cloud's 429 (Retry-After, X-RateLimit-Reset) is
waited out up to `max_rate_limit_wait`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, OffsetPaginator
from requests import Response

from dlt_sources.errors import SourceError
from dlt_sources.http import DEFAULT_MAX_RATE_LIMIT_WAIT, CheckedRESTClient, Service, jira_reset_delay, make_client
from dlt_sources.progress import DEFAULT_REQUESTS_PER_LOAD, Pass, read_oldest_first
from dlt_sources.rows import LOAD_FILE_FORMAT, format_time, parse_time, table_columns

FIELDS = ["summary", "issuetype", "status", "priority", "labels", "components", "project", "created", "updated",
          "resolutiondate", "statuscategorychangedate"]
PAGE_SIZE = 100
CHANGELOG_PAGE = 1000  # histories per bulkfetch answer; also the most issues one request may name
NEW_PROJECTS = "(projects not seen yet)"  # the unit whose query finds projects without a cursor

ISSUE_COLUMNS = table_columns(
    id="bigint", key="text", project="text", summary="text", issue_type="text", status="text",
    status_category="text", priority="text", labels="json", components="json", created="timestamp",
    updated="timestamp", resolutiondate="timestamp", status_category_changed_at="timestamp", url="text",
)  # fmt: skip
STATUS_CHANGE_COLUMNS = table_columns(
    id="text", issue_id="bigint", from_status="text", to_status="text", changed_at="timestamp",
)  # fmt: skip


JIRA = Service("Jira", "sources.jira.api_token", jira_reset_delay)


class NextPageTokenPaginator(JSONResponseCursorPaginator):
    """search/jql's nextPageToken in the POST body. Stops when the token is absent or repeats
    (Cloud has been seen to hand the same token back, which would loop forever)."""

    def __init__(self) -> None:
        super().__init__(cursor_path="nextPageToken", cursor_body_path="nextPageToken")
        self._seen: set[str] = set()

    def update_state(self, response: Response, data: Optional[list[Any]] = None) -> None:
        super().update_state(response, data)
        if self._next_reference in self._seen:
            self._has_next_page = False
        elif self._next_reference:
            self._seen.add(self._next_reference)


@dlt.source(name="jira", max_table_nesting=0)
def jira(
    base_url: str = dlt.config.value,
    jql: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    email: Optional[str] = None,
    backfill_days: int = 365,
    lookback_hours: int = 72,
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
    requests_per_load: int = DEFAULT_REQUESTS_PER_LOAD,
) -> Any:
    """`base_url` is the site (`https://acme.atlassian.net`, or the Data Center base URL);
    `jql` selects the issues (e.g. `project in (OPS, SHOP)`), without ORDER BY."""
    if "order by" in jql.lower():
        raise SourceError("Jira source: sources.jira.jql must not contain ORDER BY (the source orders by updated).")
    auth = HttpBasicAuth(email, api_token) if email else BearerTokenAuth(api_token)
    client = make_client(base_url.rstrip("/"), auth, JIRA, max_rate_limit_wait,
                         headers={"Accept": "application/json"})
    changelogs: dict[str, list[dict[str, Any]]] = {}  # Data Center: histories embedded in the search answer
    search = Search(client, jql, bool(email), changelogs, datetime.now(timezone.utc) - timedelta(days=backfill_days),
                    timedelta(hours=lookback_hours), requests_per_load)
    found = issues(search)
    return found, found | status_changes(client, cloud=bool(email), changelogs=changelogs)


@dataclass(frozen=True)
class Search:
    """The JQL search of one load: Cloud's search/jql or Data Center's search, and the window."""

    client: CheckedRESTClient
    jql: str
    cloud: bool
    changelogs: dict[str, list[dict[str, Any]]]
    start: datetime  # how far back a project's first read reaches
    lag: timedelta
    requests_per_load: int

    def pages(self, clauses: list[str], since: datetime) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Rows of the issues `(<jql>) AND <clauses>` changed at or after `since`, oldest change
        first, a page at a time with whether more follow."""
        since = since.astimezone(timezone.utc)
        where = " AND ".join([f"({self.jql})", *clauses, f'updated >= "{since:%Y-%m-%d %H:%M}"'])
        query = {"jql": f"{where} ORDER BY updated ASC", "fields": FIELDS, "maxResults": PAGE_SIZE}
        if self.cloud:
            pages = self.client.paginate("rest/api/3/search/jql", method="POST", json=query,
                                         paginator=NextPageTokenPaginator(), data_selector="issues")
        else:
            pages = self.client.paginate(
                "rest/api/2/search", method="POST", json={**query, "expand": ["changelog"]},
                paginator=OffsetPaginator(limit=PAGE_SIZE, offset_param=None, limit_param=None, total_path="total",
                                          offset_body_path="startAt", limit_body_path="maxResults"),
                data_selector="issues")
        site = self.client.base_url
        for page in pages:
            for issue in page:
                if "changelog" in issue:
                    self.changelogs[issue["id"]] = issue["changelog"]["histories"]
            yield [_issue_row(issue, site) for issue in page], page.paginator.has_next_page


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=ISSUE_COLUMNS)
def issues(search: Search) -> Iterator[list[dict[str, Any]]]:
    """Per known project from its cursor, then the projects not seen yet from the backfill start."""
    known = sorted(project for project in dlt.current.resource_state().get("units", {}) if project != NEW_PROJECTS)
    progress = Pass(known + [NEW_PROJECTS], "projects", search.client, search.requests_per_load)

    def read(project: str, unit: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        clauses = [f"project = {_quoted(project)}"] if project != NEW_PROJECTS else (
            [f"project not in ({', '.join(map(_quoted, known))})"] if known else [])

        def pages(since: datetime) -> Iterator[tuple[list[dict[str, Any]], bool]]:
            return search.pages(clauses, since)

        if project != NEW_PROJECTS:
            yield from read_oldest_first(unit, pages, "updated", search.start, search.lag, progress.checkpoint)
            return
        found: dict[str, str] = unit.setdefault("found", {})  # new project -> its newest update read
        for rows in read_oldest_first(unit, pages, "updated", search.start, search.lag, progress.checkpoint):
            for row in rows:
                found[row["project"]] = max(found.get(row["project"], ""), format_time(row["updated"]))
            yield rows
        for project_key, newest in found.items():  # complete: each is known from the next pass on
            progress.unit(project_key)["cursor"] = newest
        unit.clear()  # no cursor: this query always reaches back to the backfill start

    yield from progress.read(read)


def _quoted(project: str) -> str:
    return '"' + project.replace('"', '\\"') + '"'


@dlt.transformer(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=STATUS_CHANGE_COLUMNS)
def status_changes(
    issue_rows: list[dict[str, Any]],
    client: CheckedRESTClient,
    cloud: bool,
    changelogs: dict[str, list[dict[str, Any]]],
) -> Iterator[list[dict[str, Any]]]:
    """Every status change of the issues that changed: `id` is `<issue id>:<history id>`."""
    ids = [str(row["id"]) for row in issue_rows]
    if not ids:
        return
    if not cloud:
        yield [row for issue_id in ids for row in _status_rows(issue_id, changelogs.pop(issue_id, []))]
        return
    pages = client.paginate(
        "rest/api/3/changelog/bulkfetch",
        method="POST",
        json={"issueIdsOrKeys": ids, "fieldIds": ["status"], "maxResults": CHANGELOG_PAGE},
        paginator=NextPageTokenPaginator(),
        data_selector="issueChangeLogs",
    )
    for page in pages:
        yield [row for log in page for row in _status_rows(log["issueId"], log["changeHistories"])]


def _status_rows(issue_id: str, histories: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for history in histories:
        for item in history["items"]:
            if item.get("fieldId", item.get("field")) == "status":
                yield {
                    "id": f"{issue_id}:{history['id']}",
                    "issue_id": int(issue_id),
                    "from_status": item.get("fromString"),
                    "to_status": item.get("toString"),
                    "changed_at": parse_time(history["created"]),
                }


def _name(value: Optional[dict[str, Any]]) -> Optional[str]:
    return value.get("name") if value else None


def _issue_row(issue: dict[str, Any], site: str) -> dict[str, Any]:
    fields = issue["fields"]
    status = fields.get("status") or {}
    return {
        "id": int(issue["id"]),
        "key": issue["key"],
        "project": (fields.get("project") or {}).get("key"),
        "summary": fields.get("summary"),
        "issue_type": _name(fields.get("issuetype")),
        "status": status.get("name"),
        "status_category": (status.get("statusCategory") or {}).get("key"),
        "priority": _name(fields.get("priority")),
        "labels": list(fields.get("labels") or []),
        "components": [component["name"] for component in fields.get("components") or []],
        "created": parse_time(fields.get("created")),
        "updated": parse_time(fields.get("updated")),
        "resolutiondate": parse_time(fields.get("resolutiondate")),
        "status_category_changed_at": parse_time(fields.get("statuscategorychangedate")),
        "url": f"{site}/browse/{issue['key']}",
    }
