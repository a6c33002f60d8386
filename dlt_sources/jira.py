"""Jira source: the issues a configurable JQL selects, and their status changes.

Two flavours, chosen by whether `email` is set:
- Cloud (`email` + API token, basic auth): `POST /rest/api/3/search/jql` paged by
  nextPageToken (the old `/search` answers 410 on Cloud); status changes come complete from
  `POST /rest/api/3/changelog/bulkfetch` for each page of issues (an embedded changelog keeps
  only the newest histories);
- Data Center (personal access token as Bearer): `POST /rest/api/2/search` paged by startAt,
  with `expand=changelog`.

Incremental on `updated`: the query is `(<jql>) AND updated >= "<cursor - lookback>" ORDER BY
updated ASC`. JQL reads that time in the Jira user's time zone at minute precision; the
lookback (default 72 h) is far wider than any offset, and rows merge on their id.
Cloud's 429 (Retry-After, X-RateLimit-Reset) is waited out up to `max_rate_limit_wait`.
"""

# No `from __future__ import annotations`: dlt finds a resource's incremental argument by its
# evaluated type hint, and string annotations make it silently skip the cursor.

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Optional

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, OffsetPaginator
from requests import Response

from dlt_sources.errors import SourceError
from dlt_sources.http import DEFAULT_MAX_RATE_LIMIT_WAIT, CheckedRESTClient, Service, jira_reset_delay, make_client
from dlt_sources.rows import parse_time, table_columns

FIELDS = ["summary", "issuetype", "status", "priority", "labels", "components", "project", "created", "updated",
          "resolutiondate", "statuscategorychangedate"]
PAGE_SIZE = 100
CHANGELOG_PAGE = 1000  # histories per bulkfetch answer; also the most issues one request may name

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
) -> Any:
    """`base_url` is the site (`https://acme.atlassian.net`, or the Data Center base URL);
    `jql` selects the issues (e.g. `project in (OPS, SHOP)`), without ORDER BY."""
    if "order by" in jql.lower():
        raise SourceError("Jira source: sources.jira.jql must not contain ORDER BY (the source orders by updated).")
    auth = HttpBasicAuth(email, api_token) if email else BearerTokenAuth(api_token)
    client = make_client(base_url.rstrip("/"), auth, JIRA, max_rate_limit_wait,
                         headers={"Accept": "application/json"})
    start = datetime.now(timezone.utc) - timedelta(days=backfill_days)
    updated = dlt.sources.incremental("updated", initial_value=start, lag=lookback_hours * 3600)
    changelogs: dict[str, list[dict[str, Any]]] = {}  # Data Center: histories embedded in the search answer
    found = issues(client, jql, cloud=bool(email), changelogs=changelogs, updated=updated)
    return found, found | status_changes(client, cloud=bool(email), changelogs=changelogs)


@dlt.resource(primary_key="id", write_disposition="merge", columns=ISSUE_COLUMNS)
def issues(
    client: CheckedRESTClient,
    jql: str,
    cloud: bool,
    changelogs: dict[str, list[dict[str, Any]]],
    updated: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    since = updated.start_value.astimezone(timezone.utc)
    query = {"jql": f'({jql}) AND updated >= "{since:%Y-%m-%d %H:%M}" ORDER BY updated ASC',
             "fields": FIELDS, "maxResults": PAGE_SIZE}
    if cloud:
        pages = client.paginate("rest/api/3/search/jql", method="POST", json=query,
                                paginator=NextPageTokenPaginator(), data_selector="issues")
    else:
        pages = client.paginate("rest/api/2/search", method="POST", json={**query, "expand": ["changelog"]},
                                paginator=OffsetPaginator(limit=PAGE_SIZE, offset_param=None,
                                                          limit_param=None, total_path="total",
                                                          offset_body_path="startAt", limit_body_path="maxResults"),
                                data_selector="issues")
    site = client.base_url
    for page in pages:
        for issue in page:
            if "changelog" in issue:
                changelogs[issue["id"]] = issue["changelog"]["histories"]
        yield [_issue_row(issue, site) for issue in page]


@dlt.transformer(primary_key="id", write_disposition="merge", columns=STATUS_CHANGE_COLUMNS)
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
