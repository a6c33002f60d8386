"""GitHub's REST side: workflow runs and releases, each repository's list read newest created first
and resumable to the page (dlt_sources.progress), and the organisation's repository listing.

Lists are requested with the same URL every run, so an unchanged one costs one 304, which GitHub
does not count against the rate limit: the first page of the last complete read is kept with its
ETag and the creation time of its oldest row (none: it held the whole list). A read whose floor is
after that row asks for it with If-None-Match, and a 304 proves that no row was added or changed
from the floor on: a new row would be on that page, and every row from the floor on is. Runs are
listed unfiltered: GitHub caps any filtered list (`created` included) at 1,000 runs, and a filter
moving with the cursor would change the URL, so its ETag would never match.

A draft release has no publication time and keeps its creation time when published, possibly long
after the lookback: every draft seen is asked for again by id (with its ETag: free while unchanged)
until it is published or deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional

from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from requests import HTTPError

from dlt_sources.github_graphql import repository_id
from dlt_sources.github_rows import release_row, workflow_run_row
from dlt_sources.http import CheckedRESTClient
from dlt_sources.progress import read_newest_first
from dlt_sources.rows import format_time, parse_time

PER_PAGE = {"per_page": 100}


def read_runs(client: CheckedRESTClient, repo: str, unit: dict[str, Any], start: datetime, lag: timedelta,
              checkpoint: Callable[[], None]) -> Iterator[list[dict[str, Any]]]:
    def to_rows(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [workflow_run_row(run) for run in page]

    yield from _read_list(client, f"repos/{repo}/actions/runs", "workflow_runs", to_rows, unit, start, lag, checkpoint)


def read_releases(client: CheckedRESTClient, graphql_url: str, repo: str, unit: dict[str, Any], start: datetime,
                  lag: timedelta, checkpoint: Callable[[], None]) -> Iterator[list[dict[str, Any]]]:
    """Releases created from the floor on, then the drafts seen before, by id. The REST payload
    does not name the repository's id: it is looked up once (GraphQL) and kept."""
    drafts: dict[str, Optional[str]] = unit.setdefault("drafts", {})  # id -> ETag of its last answer
    asked_before = list(drafts)

    def to_rows(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if page and "repository_id" not in unit:
            unit["repository_id"] = repository_id(client, graphql_url, repo)
        return [release_row(release, repo, unit["repository_id"]) for release in page]

    for rows in _read_list(client, f"repos/{repo}/releases", "$", to_rows, unit, start, lag, checkpoint):
        for row in rows:
            if row["draft"]:
                drafts.setdefault(str(row["id"]), None)
            else:
                drafts.pop(str(row["id"]), None)
        yield rows
    for release_id in asked_before:
        if release_id in drafts:
            yield from _draft(client, repo, release_id, drafts, unit["repository_id"])


def _draft(client: CheckedRESTClient, repo: str, release_id: str, drafts: dict[str, Optional[str]],
           repo_id: int) -> Iterator[list[dict[str, Any]]]:
    etag = drafts[release_id]
    try:
        response = client.get(f"repos/{repo}/releases/{release_id}", headers={"If-None-Match": etag} if etag else None)
    except IgnoreResponseException:  # 304: still the same draft
        return
    except HTTPError as error:
        if error.response is None or error.response.status_code != 404:
            raise
        del drafts[release_id]  # deleted without ever being published
        return
    row = release_row(response.json(), repo, repo_id)
    if row["draft"]:
        drafts[release_id] = response.headers.get("ETag")
    else:
        del drafts[release_id]
    yield [row]


def _read_list(client: CheckedRESTClient, path: str, data_selector: str,
               to_rows: Callable[[list[Any]], list[dict[str, Any]]], unit: dict[str, Any], start: datetime,
               lag: timedelta, checkpoint: Callable[[], None]) -> Iterator[list[dict[str, Any]]]:
    def pages(read: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], Optional[str]]]:
        if read["resume"] is not None:
            paged = conditional_pages(client, read["resume"], data_selector, None, params=None)  # a next link
        else:
            known = unit.get("first_page")
            covers = known is not None and (known["oldest"] is None or parse_time(known["oldest"]) < parse_time(read["floor"]))
            paged = conditional_pages(client, path, data_selector, known["etag"] if covers else None, PER_PAGE)
        for page in paged:
            rows = to_rows(page)
            more = page.paginator.has_next_page
            if "commit" not in read:  # the list's first page
                etag = page.response.headers.get("ETag")
                oldest = format_time(rows[-1]["created_at"]) if more else None
                read["commit"] = {"first_page": {"etag": etag, "oldest": oldest} if etag else None}
            yield rows, page.request.url if more else None

    yield from read_newest_first(unit, pages, "created_at", start, lag, checkpoint)


def conditional_pages(client: CheckedRESTClient, path: str, data_selector: str, etag: Optional[str],
                       params: Optional[dict[str, Any]]) -> Iterator[Any]:
    """Pages of a REST list following the Link header. With `etag` the first request is
    conditional: a 304 (not modified) yields no page."""
    pages = client.paginate(
        path,
        params=params,
        headers={"If-None-Match": etag} if etag else None,
        paginator=HeaderLinkPaginator(),
        data_selector=data_selector,
    )
    for page in pages:
        page.request.headers.pop("If-None-Match", None)  # the paginator reuses the request for the next page
        yield page


def owner_repositories(client: CheckedRESTClient, owner: str, listings: dict[str, Any]) -> list[str]:
    """All repositories of an organisation, or of a user when `owner` is not an organisation."""
    try:
        return _repository_names(client, f"orgs/{owner}/repos", listings)
    except HTTPError as exc:
        if exc.response is None or exc.response.status_code != 404:
            raise
        return _repository_names(client, f"users/{owner}/repos", listings)


def _repository_names(client: CheckedRESTClient, path: str, listings: dict[str, Any]) -> list[str]:
    """The names on a listing. One that fitted on one page is asked for with its last ETag, and
    a 304 (free) means the names stored beside it are current; a longer listing is read whole
    (an unchanged first page says nothing about the others)."""
    known = listings.get(path)
    pages = list(conditional_pages(client, path, "$", known["etag"] if known else None, PER_PAGE))
    if not pages:
        return known["names"]
    names = [repo["full_name"] for page in pages for repo in page]
    etag = pages[0].response.headers.get("ETag")
    if len(pages) == 1 and etag:
        listings[path] = {"etag": etag, "names": names}
    else:
        listings.pop(path, None)
    return names
