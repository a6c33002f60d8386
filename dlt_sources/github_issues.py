"""GitHub issues (REST `GET /repos/{owner}/{repo}/issues`), which the `github_issue` incident method reads.

Read only with `sources.github.issues = true`: the list shows every pull request too, so a
backfill costs about 10 more requests per 1,000 pull requests; without the setting the resource
(and its table) stays empty and sends nothing.

GitHub's issues list returns pull requests too (an item with a `pull_request` key): they are left
out of the table, as pull requests come from their own resource. The list is asked for with
`since` (items updated at or after it, closed ones included), newest updated first: the cursor
minus lookback, or, later when the repository's list showed a newer item (a pull request moves
the list, not the cursor, which sees only issues), that item's update minus lookback. Without
that, a repository with few issues and many pull requests would list every pull request since
its last issue on every run. `since` is rounded down to the start of its UTC day, so it changes
once a day however busy the org is, and while it stays the same the first page is asked for with
the ETag of the last run: a 304 is free and proves that nothing of the repository changed, as a
changed item would lead that page.
"""

# No `from __future__ import annotations`: dlt finds a resource's incremental argument by its
# evaluated type hint, and string annotations make it silently skip the cursor.

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Optional

import dlt
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from dlt_sources.http import CheckedRESTClient
from dlt_sources.rows import LOAD_FILE_FORMAT, format_time, login, parse_time, table_columns

ISSUE_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", number="bigint", title="text", author="text",
    labels="json", state="text", state_reason="text", created_at="timestamp", updated_at="timestamp",
    closed_at="timestamp", html_url="text",
)  # fmt: skip


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=ISSUE_COLUMNS)
def issues(
    client: CheckedRESTClient,
    repos: Callable[[], list[str]],
    repository_id: Callable[[str], int],
    updated_at: dlt.sources.incremental[datetime],
    enabled: bool,
) -> Iterator[list[dict[str, Any]]]:
    """Issues updated since the cursor (minus lookback), of every repository; nothing unless
    `enabled`. The REST payload does not carry the repository's id: `repository_id` looks it up,
    once per repository with issues. Resource state remembers per repository the ids, the newest
    item listed and the first page's ETag."""
    if not enabled:
        return
    state = dlt.current.resource_state()
    first_pages = state.setdefault("first_pages", {})
    repository_ids = state.setdefault("repository_ids", {})
    newest_listed = state.setdefault("newest_listed", {})
    for repo in repos():
        since = _since(updated_at, newest_listed.get(repo))
        known = first_pages.get(repo)
        pages = client.paginate(
            f"repos/{repo}/issues",
            params={"state": "all", "since": since, "sort": "updated", "direction": "desc", "per_page": 100},
            headers={"If-None-Match": known["etag"]} if known and known["since"] == since else None,
            paginator=HeaderLinkPaginator(),
            data_selector="$",
        )
        for number, page in enumerate(pages):
            page.request.headers.pop("If-None-Match", None)  # the paginator reuses the request for the next page
            if number == 0:
                etag = page.response.headers.get("ETag")
                if etag:
                    first_pages[repo] = {"etag": etag, "since": since}
                else:
                    first_pages.pop(repo, None)
                if page:
                    newest_listed[repo] = page[0]["updated_at"]  # newest updated first
            found = [item for item in page if "pull_request" not in item]
            if found and repo not in repository_ids:
                repository_ids[repo] = repository_id(repo)
            yield [_issue_row(item, repo, repository_ids[repo]) for item in found]


def _since(updated_at: dlt.sources.incremental[datetime], newest_listed: Optional[str]) -> str:
    """The cursor minus lookback, or the newest item listed minus lookback when later; by UTC day."""
    start = updated_at.start_value
    if newest_listed is not None:
        start = max(start, parse_time(newest_listed) - timedelta(seconds=updated_at.lag or 0))
    return format_time(start.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0))


def _issue_row(item: dict[str, Any], repo: str, repository_id: int) -> dict[str, Any]:
    return {
        "id": item["id"],
        "repository_id": repository_id,
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
