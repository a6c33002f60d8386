"""GitHub source: pull requests and deployments from GraphQL, workflow runs and releases from REST.

Each resource is incremental with a lookback (`lag`): a run re-reads only what changed since the
stored cursor minus `lookback_hours` (runs and deployment statuses change after creation) and
merges on the stable `id`, so history is downloaded once. REST lists are requested with the
same URL every run and their first page carries the ETag of the previous run (kept in dlt
state), so an unchanged repository costs one 304, which GitHub does not count against the rate
limit. GraphQL has no conditional requests: an unchanged repository costs one point per query.
"""

# No `from __future__ import annotations`: dlt finds a resource's incremental argument by its
# evaluated type hint, and string annotations make it silently skip the cursor.

from datetime import datetime, timedelta, timezone
from functools import cache, partial
from typing import Any, Callable, Iterator, Optional

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from requests import HTTPError

from dlt_sources.budget import github_request_cost
from dlt_sources.errors import SourceError
from dlt_sources.http import (
    DEFAULT_MAX_RATE_LIMIT_WAIT,
    CheckedRESTClient,
    GraphQLCursorPaginator,
    Service,
    github_reset_delay,
    make_client,
)
from dlt_sources.rows import LOAD_FILE_FORMAT, format_time, login, parse_time, table_columns

GITHUB = Service("GitHub", "sources.github.access_token", github_reset_delay, github_request_cost)

PULL_REQUESTS_QUERY = """
query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    databaseId
    nameWithOwner
    pullRequests(first: 100, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId number title createdAt updatedAt closedAt mergedAt state
        baseRefName headRefName url
        mergeCommit { oid }
        author { login }
        labels(first: 100) { nodes { name } }
        commits(first: 1) { nodes { commit { oid authoredDate } } }
      }
    }
  }
}
"""

DEPLOYMENTS_QUERY = """
query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    databaseId
    nameWithOwner
    deployments(first: 100, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId commitOid task environment createdAt updatedAt
        ref { name }
        creator { login }
        latestStatus { state createdAt logUrl }
      }
    }
  }
}
"""

REPOSITORY_ID_QUERY = """
query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { databaseId }
}
"""

PULL_REQUEST_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", number="bigint", title="text",
    author="text", labels="json", base_ref="text", head_ref="text", state="text",
    created_at="timestamp", updated_at="timestamp", closed_at="timestamp", merged_at="timestamp",
    merge_commit_sha="text", first_commit_at="timestamp", html_url="text",
)  # fmt: skip
WORKFLOW_RUN_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", workflow_id="bigint",
    workflow_name="text", head_branch="text", head_sha="text", event="text", status="text",
    conclusion="text", run_attempt="bigint", run_started_at="timestamp", created_at="timestamp",
    updated_at="timestamp", actor="text", html_url="text",
)  # fmt: skip
RELEASE_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", tag_name="text",
    target_commitish="text", name="text", draft="bool", prerelease="bool",
    created_at="timestamp", published_at="timestamp", author="text", html_url="text",
)  # fmt: skip
DEPLOYMENT_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", sha="text", ref="text", task="text",
    environment="text", created_at="timestamp", updated_at="timestamp", creator="text",
    latest_status_state="text", latest_status_at="timestamp", latest_status_log_url="text",
)  # fmt: skip


def graphql_endpoint(base_url: str) -> str:
    """GitHub.com serves GraphQL at api.github.com/graphql, Enterprise Server at HOST/api/graphql."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


@dlt.source(name="github", max_table_nesting=0)
def github(
    access_token: str = dlt.secrets.value,
    repositories: Optional[list[str]] = None,
    owner: Optional[str] = None,
    base_url: str = "https://api.github.com",
    graphql_url: Optional[str] = None,
    backfill_days: int = 365,
    lookback_hours: int = 72,
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
) -> Any:
    """Repositories are the given `owner/name` list, or every repository of `owner` (an
    organisation or a user), listed when a resource first needs them."""
    if not repositories and not owner:
        raise SourceError(
            "GitHub source: set sources.github.repositories (SOURCES__GITHUB__REPOSITORIES, a JSON"
            " list of owner/name) or sources.github.owner (SOURCES__GITHUB__OWNER)."
        )
    client = make_client(
        base_url,
        BearerTokenAuth(access_token),
        GITHUB,
        max_rate_limit_wait,
        headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    )
    graphql = graphql_url or graphql_endpoint(base_url)
    repos = cache(lambda: list(repositories) if repositories else owner_repositories(client, owner, _listings()))
    start = datetime.now(timezone.utc) - timedelta(days=backfill_days)
    lag = lookback_hours * 3600

    def cursor(field: str) -> Any:
        return dlt.sources.incremental(field, initial_value=start, lag=lag)

    return (
        pull_requests(client, graphql, repos, cursor("updated_at")),
        workflow_runs(client, repos, cursor("created_at")),
        releases(client, graphql, repos, cursor("created_at")),
        deployments(client, graphql, repos, cursor("created_at")),
    )


def owner_repositories(client: CheckedRESTClient, owner: str, listings: dict[str, Any]) -> list[str]:
    """All repositories of an organisation, or of a user when `owner` is not an organisation."""
    try:
        return _repository_names(client, f"orgs/{owner}/repos", listings)
    except HTTPError as exc:
        if exc.response is None or exc.response.status_code != 404:
            raise
        return _repository_names(client, f"users/{owner}/repos", listings)


def _listings() -> dict[str, Any]:
    """Repository listings of earlier runs by path: {"etag", "names"}, in source state (every
    resource reads the same listing)."""
    return dlt.current.source_state().setdefault("repository_listings", {})


def _repository_names(client: CheckedRESTClient, path: str, listings: dict[str, Any]) -> list[str]:
    """The names on a listing. One that fitted on one page is asked for with its last ETag, and
    a 304 (free) means the names stored beside it are current; a longer listing is read whole
    (an unchanged first page says nothing about the others)."""
    known = listings.get(path)
    pages = list(_conditional_pages(client, path, "$", known["etag"] if known else None))
    if not pages:
        return known["names"]
    names = [repo["full_name"] for page in pages for repo in page]
    etag = pages[0].response.headers.get("ETag")
    if len(pages) == 1 and etag:
        listings[path] = {"etag": etag, "names": names}
    else:
        listings.pop(path, None)
    return names


def _graphql_resource(
    name: str,
    columns: Any,
    query: str,
    connection: str,
    to_row: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
) -> Any:
    """A resource of each repository's GraphQL `connection`, which `query` orders newest first
    on the cursor field, 100 nodes per request. A repository's paging stops at the first page
    that reaches rows older than the cursor minus lookback (dlt's own early stop would end the
    whole resource, not one repository)."""

    @dlt.resource(name=name, primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=columns)
    def newest_first(
        client: CheckedRESTClient,
        graphql_url: str,
        repos: Callable[[], list[str]],
        cursor: dlt.sources.incremental[datetime],
    ) -> Iterator[list[dict[str, Any]]]:
        for repo in repos():
            for repository, nodes in _graphql_pages(client, graphql_url, query, repo, connection):
                rows = [to_row(node, repository) for node in nodes]
                yield rows
                if rows and rows[-1][cursor.cursor_path] < cursor.start_value:
                    break

    return newest_first


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=WORKFLOW_RUN_COLUMNS)
def workflow_runs(
    client: CheckedRESTClient,
    repos: Callable[[], list[str]],
    created_at: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    """Runs created since the cursor (minus lookback). Listed without filters: GitHub caps any
    filtered list (`created` included) at 1,000 runs, and a filter moving with the cursor would
    change the URL, so its ETag would never match."""
    first_pages = dlt.current.resource_state().setdefault("first_pages", {})
    for repo in repos():
        yield from _created_since(
            client, f"repos/{repo}/actions/runs", "workflow_runs",
            lambda runs: [_workflow_run_row(run) for run in runs],
            created_at.start_value, first_pages, repo,
        )  # fmt: skip


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=RELEASE_COLUMNS)
def releases(
    client: CheckedRESTClient,
    graphql_url: str,
    repos: Callable[[], list[str]],
    created_at: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    """Releases created since the cursor (minus lookback). The REST payload does not name the
    repository's id, so it is looked up once and remembered in resource state."""
    state = dlt.current.resource_state()
    first_pages = state.setdefault("first_pages", {})
    repository_ids = state.setdefault("repository_ids", {})

    def to_rows(repo: str, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if page and repo not in repository_ids:
            repository_ids[repo] = _repository_id(client, graphql_url, repo)
        return [_release_row(release, repo, repository_ids[repo]) for release in page]

    for repo in repos():
        yield from _created_since(
            client, f"repos/{repo}/releases", "$", partial(to_rows, repo), created_at.start_value, first_pages, repo
        )


def _created_since(
    client: CheckedRESTClient,
    path: str,
    data_selector: str,
    to_rows: Callable[[list[Any]], list[dict[str, Any]]],
    start: datetime,
    first_pages: dict[str, Any],
    key: str,
) -> Iterator[list[dict[str, Any]]]:
    """Rows of a REST list that GitHub sorts newest created first, up to the first page that
    reaches rows created before `start`.

    The first page is remembered under `key` by its ETag and the creation time of its oldest row
    (none: it held the whole list). A later run whose `start` is after that row asks for it with
    If-None-Match, and a 304 (free) proves that no row was added or changed from `start` on:
    a new row would be on that page, and every row from `start` on is."""
    known = first_pages.get(key)
    covers_start = known is not None and (known["oldest"] is None or parse_time(known["oldest"]) < start)
    pages = _conditional_pages(client, path, data_selector, known["etag"] if covers_start else None)
    for number, page in enumerate(pages):
        rows = to_rows(page)
        if number == 0:
            etag, more = page.response.headers.get("ETag"), page.paginator.has_next_page
            if etag:
                first_pages[key] = {"etag": etag, "oldest": format_time(rows[-1]["created_at"]) if more else None}
            else:
                first_pages.pop(key, None)
        yield rows
        if rows and rows[-1]["created_at"] < start:
            return


def _conditional_pages(client: CheckedRESTClient, path: str, data_selector: str, etag: Optional[str]) -> Iterator[Any]:
    """Pages of a REST list following the Link header, 100 a page. With `etag` the first request
    is conditional: a 304 (not modified) yields no page."""
    pages = client.paginate(
        path,
        params={"per_page": 100},
        headers={"If-None-Match": etag} if etag else None,
        paginator=HeaderLinkPaginator(),
        data_selector=data_selector,
    )
    for page in pages:
        page.request.headers.pop("If-None-Match", None)  # the paginator reuses the request for the next page
        yield page


def _graphql_pages(
    client: CheckedRESTClient, graphql_url: str, query: str, repo: str, connection: str
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(repository, nodes) for each page of `repository.<connection>`."""
    owner, name = repo.split("/", 1)
    pages = client.paginate(
        graphql_url,
        method="POST",
        json={"query": query, "variables": {"owner": owner, "name": name, "after": None}},
        paginator=GraphQLCursorPaginator(["data", "repository", connection, "pageInfo"]),
        data_selector=f"data.repository.{connection}.nodes",
    )
    for page in pages:
        repository = page.response.json()["data"]["repository"]
        yield repository, list(page)


def _repository_id(client: CheckedRESTClient, graphql_url: str, repo: str) -> int:
    owner, name = repo.split("/", 1)
    response = client.post(graphql_url, json={"query": REPOSITORY_ID_QUERY, "variables": {"owner": owner, "name": name}})
    return response.json()["data"]["repository"]["databaseId"]


def _pull_request_row(node: dict[str, Any], repository: dict[str, Any]) -> dict[str, Any]:
    commits = node["commits"]["nodes"]
    return {
        "id": node["databaseId"],
        "repository_id": repository["databaseId"],
        "repository": repository["nameWithOwner"],
        "number": node["number"],
        "title": node["title"],
        "author": login(node["author"]),
        "labels": [label["name"] for label in (node.get("labels") or {}).get("nodes") or []],
        "base_ref": node["baseRefName"],
        "head_ref": node["headRefName"],
        "state": node["state"].lower(),
        "created_at": parse_time(node["createdAt"]),
        "updated_at": parse_time(node["updatedAt"]),
        "closed_at": parse_time(node["closedAt"]),
        "merged_at": parse_time(node["mergedAt"]),
        "merge_commit_sha": (node["mergeCommit"] or {}).get("oid"),
        "first_commit_at": parse_time(commits[0]["commit"]["authoredDate"]) if commits else None,
        "html_url": node["url"],
    }


def _deployment_row(node: dict[str, Any], repository: dict[str, Any]) -> dict[str, Any]:
    status = node["latestStatus"] or {}
    return {
        "id": node["databaseId"],
        "repository_id": repository["databaseId"],
        "repository": repository["nameWithOwner"],
        "sha": node["commitOid"],
        "ref": (node["ref"] or {}).get("name"),
        "task": node["task"],
        "environment": node["environment"],
        "created_at": parse_time(node["createdAt"]),
        "updated_at": parse_time(node["updatedAt"]),
        "creator": login(node["creator"]),
        "latest_status_state": status["state"].lower() if status else None,
        "latest_status_at": parse_time(status.get("createdAt")),
        "latest_status_log_url": status.get("logUrl"),
    }


def _workflow_run_row(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": run["id"],
        "repository_id": run["repository"]["id"],
        "repository": run["repository"]["full_name"],
        "workflow_id": run["workflow_id"],
        "workflow_name": run["name"],
        "head_branch": run["head_branch"],
        "head_sha": run["head_sha"],
        "event": run["event"],
        "status": run["status"],
        "conclusion": run["conclusion"],
        "run_attempt": run["run_attempt"],
        "run_started_at": parse_time(run["run_started_at"]),
        "created_at": parse_time(run["created_at"]),
        "updated_at": parse_time(run["updated_at"]),
        "actor": login(run.get("actor")),
        "html_url": run["html_url"],
    }


def _release_row(release: dict[str, Any], repo: str, repository_id: int) -> dict[str, Any]:
    return {
        "id": release["id"],
        "repository_id": repository_id,
        "repository": repo,
        "tag_name": release["tag_name"],
        "target_commitish": release["target_commitish"],
        "name": release["name"],
        "draft": release["draft"],
        "prerelease": release["prerelease"],
        "created_at": parse_time(release["created_at"]),
        "published_at": parse_time(release["published_at"]),
        "author": login(release.get("author")),
        "html_url": release["html_url"],
    }


# Pull requests carry their first commit in the same page (no request per PR); deployments
# carry their latest status.
pull_requests = _graphql_resource(
    "pull_requests", PULL_REQUEST_COLUMNS, PULL_REQUESTS_QUERY, "pullRequests", _pull_request_row
)
deployments = _graphql_resource("deployments", DEPLOYMENT_COLUMNS, DEPLOYMENTS_QUERY, "deployments", _deployment_row)
