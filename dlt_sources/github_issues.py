"""GitHub issues (REST `GET /repos/{owner}/{repo}/issues`), which the `github_issue` incident method reads.

Read only with `sources.github.issues = true`: the list shows every pull request too, so a
backfill costs about 10 more requests per 1,000 pull requests; without the setting the resource
(and its table) stays empty and sends nothing.

GitHub's issues list returns pull requests too (an item with a `pull_request` key): they are left
out of the table, as pull requests come from their own resource, but they move the repository's
cursor (the newest item listed): without that, a repository with few issues and many pull requests
would list every pull request since its last issue on every run. The list is asked for with
`since` (items updated at or after it, closed ones included), newest updated first, from the
repository's cursor minus lookback (dlt_sources.progress.read_newest_first, resumable to the page
like the other lists). `since` is rounded down to the start of its UTC day, so it changes at most
once a day however busy the org is, and while it stays the same the first page is asked for with
the ETag of the last complete read: a 304 is free and proves that nothing of the repository
changed, as a changed item would lead that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from dlt_sources.github_graphql import repository_id
from dlt_sources.github_rest import PER_PAGE, conditional_pages
from dlt_sources.http import CheckedRESTClient
from dlt_sources.progress import read_newest_first
from dlt_sources.rows import format_time, login, parse_time, table_columns

ISSUE_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", number="bigint", title="text", author="text",
    labels="json", state="text", state_reason="text", created_at="timestamp", updated_at="timestamp",
    closed_at="timestamp", html_url="text",
)  # fmt: skip


def read_issues(client: CheckedRESTClient, graphql_url: str, repo: str, unit: dict[str, Any], start: datetime,
                lag: timedelta, checkpoint: Callable[[], None]) -> Iterator[list[dict[str, Any]]]:
    """The repository's issues updated from its floor on. The REST payload does not carry the
    repository's id: it is looked up once (GraphQL), when the repository first lists an issue, and kept."""
    path = f"repos/{repo}/issues"

    def pages(read: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], Any]]:
        if read["resume"] is not None:
            paged = conditional_pages(client, read["resume"], "$", None, params=None)  # a next link
        else:
            since = _by_day(parse_time(read["floor"]))
            known = unit.get("first_page")
            etag = known["etag"] if known and known["since"] == since else None
            params = {"state": "all", "since": since, "sort": "updated", "direction": "desc", **PER_PAGE}
            paged = conditional_pages(client, path, "$", etag, params)
        for page in paged:
            if "commit" not in read:  # the list's first page
                etag = page.response.headers.get("ETag")
                read["commit"] = {"first_page": {"etag": etag, "since": since} if etag else None}
            listed = [{"updated_at": parse_time(item["updated_at"]), "item": item} for item in page]
            yield listed, page.request.url if page.paginator.has_next_page else None

    for listed in read_newest_first(unit, pages, "updated_at", start, lag, checkpoint):
        found = [row["item"] for row in listed if "pull_request" not in row["item"]]
        if found and "repository_id" not in unit:
            unit["repository_id"] = repository_id(client, graphql_url, repo)
        if found:
            yield [_issue_row(item, repo, unit["repository_id"]) for item in found]


def _by_day(time: datetime) -> str:
    return format_time(time.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0))


def _issue_row(item: dict[str, Any], repo: str, repo_id: int) -> dict[str, Any]:
    return {
        "id": item["id"],
        "repository_id": repo_id,
        "repository": repo,
        "number": item["number"],
        "title": item["title"],
        "author": login(item.get("user")),
        "labels": [label["name"] if isinstance(label, dict) else label for label in item.get("labels") or []],
        "state": item["state"],
        "state_reason": item.get("state_reason"),
        "created_at": parse_time(item["created_at"]),
        "updated_at": parse_time(item["updated_at"]),
        "closed_at": parse_time(item.get("closed_at")),
        "html_url": item["html_url"],
    }
