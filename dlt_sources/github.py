"""GitHub source: pull requests and deployments from GraphQL (dlt_sources.github_graphql), workflow
runs and releases from REST (dlt_sources.github_rest).

Every repository keeps its own cursor per resource (dlt_sources.progress): a run re-reads what
changed since that cursor minus `lookback_hours` (runs and deployment statuses change after
creation), newest first, and merges on the stable `id`; a repository without a cursor (added to
`repositories` later, created in or transferred to the owner later) is read back `backfill_days`.
A run is one or more loads: every `requests_per_load` requests its rows and cursors are committed
together, so an interrupted run loses at most one load and a run stopped by a rate limit nothing;
the next run continues the pass (dlt_sources.progress.load_until_done runs the loads).

An unchanged hourly run is nearly free: REST lists answer 304 (GitHub does not count them), and
the GraphQL resources first check up to 100 repositories in one query (1 point) and read only
those whose newest record moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Optional

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from dlt_sources.budget import github_request_cost
from dlt_sources.errors import SourceError
from dlt_sources.github_issues import ISSUE_COLUMNS, read_issues
from dlt_sources.github_graphql import (
    DEPLOYMENTS,
    PULL_REQUESTS,
    PULL_REQUESTS_WITH_FILES,
    Connection,
    read_repository,
    unchanged_repositories,
)
from dlt_sources.github_rest import owner_repositories, read_releases, read_runs
from dlt_sources.github_rows import DEPLOYMENT_COLUMNS, PULL_REQUEST_COLUMNS, RELEASE_COLUMNS, WORKFLOW_RUN_COLUMNS
from dlt_sources.http import DEFAULT_MAX_RATE_LIMIT_WAIT, CheckedRESTClient, Service, github_reset_delay, make_client
from dlt_sources.progress import DEFAULT_REQUESTS_PER_LOAD, Pass
from dlt_sources.rows import LOAD_FILE_FORMAT
from dora.core.changed_files import names_repositories

GITHUB = Service("GitHub", "sources.github.access_token", github_reset_delay, github_request_cost)


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
    requests_per_load: int = DEFAULT_REQUESTS_PER_LOAD,
    issues: bool = False,
    changed_files_repositories: Optional[list[str]] = None,
) -> Any:
    """Repositories are the given `owner/name` list, or every repository of `owner` (an
    organisation or a user), listed when a resource first needs them. Issues are read only with
    `issues` (dlt_sources.github_issues). The PRs of repositories matching a glob of
    `changed_files_repositories` (dora.core.changed_files: those a `paths` cell names) come with
    their changed files."""
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
    repos = cache(lambda: list(repositories) if repositories else owner_repositories(client, owner, _listings()))
    with_files = cache(lambda: names_repositories(changed_files_repositories or [], repos()))
    reading = Reading(client, graphql_url or graphql_endpoint(base_url), repos,
                      datetime.now(timezone.utc) - timedelta(days=backfill_days), timedelta(hours=lookback_hours),
                      requests_per_load, lambda repo: repo in with_files())
    return (pull_requests(reading), workflow_runs(reading), releases(reading), deployments(reading),
            github_issues(reading, issues))


def _listings() -> dict[str, Any]:
    """Repository listings of earlier runs by path: {"etag", "names"}, in source state (every
    resource reads the same listing)."""
    return dlt.current.source_state().setdefault("repository_listings", {})


@dataclass(frozen=True)
class Reading:
    """What the resources of one load share: the client (and its request count), the repositories
    and the window."""

    client: CheckedRESTClient
    graphql_url: str
    repos: Callable[[], list[str]]
    start: datetime  # how far back a repository's first read reaches
    lag: timedelta  # how far before its cursor a repository's later reads start
    requests_per_load: int
    with_files: Callable[[str], bool]  # whether a repository's PRs are read with their changed files

    def each_repository(self, read: Callable[..., Iterator[list[dict[str, Any]]]],
                        unchanged: Optional[Callable[..., list[str]]] = None) -> Iterator[list[dict[str, Any]]]:
        """read(repo, its state, start, lag, checkpoint) for each repository the pass has not done."""
        progress = Pass(self.repos(), "repositories", self.client, self.requests_per_load)
        yield from progress.read(
            lambda repo, unit: read(repo, unit, self.start, self.lag, progress.checkpoint),
            unchanged and (lambda pending: unchanged(pending, progress.unit_states)),
        )

    def connection(self, connection_of: Callable[[str], Connection]) -> Iterator[list[dict[str, Any]]]:
        """The rows of a GraphQL connection, read with connection_of(repository) per repository."""
        yield from self.each_repository(
            lambda repo, *args: read_repository(self.client, self.graphql_url, connection_of(repo), repo, *args),
            lambda pending, units: unchanged_repositories(self.client, self.graphql_url, connection_of, pending, units),
        )


def _resource(columns: Any, name: Optional[str] = None) -> Any:
    return dlt.resource(name=name, primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT,
                        columns=columns)


@_resource(PULL_REQUEST_COLUMNS)
def pull_requests(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    """Newest updated first: a PR's first commit (and its changed files, where asked) comes
    inside its page (no request per PR, but one per further 100 files)."""
    yield from reading.connection(lambda repo: PULL_REQUESTS_WITH_FILES if reading.with_files(repo) else PULL_REQUESTS)


@_resource(DEPLOYMENT_COLUMNS)
def deployments(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    """Newest created first, each with its latest status and its status history."""
    yield from reading.connection(lambda repo: DEPLOYMENTS)


@_resource(WORKFLOW_RUN_COLUMNS)
def workflow_runs(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    yield from reading.each_repository(lambda repo, *args: read_runs(reading.client, repo, *args))


@_resource(RELEASE_COLUMNS)
def releases(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    yield from reading.each_repository(lambda repo, *args: read_releases(reading.client, reading.graphql_url, repo, *args))


@_resource(ISSUE_COLUMNS, name="issues")
def github_issues(reading: Reading, enabled: bool) -> Iterator[list[dict[str, Any]]]:
    """Nothing, not even a request, unless `enabled`."""
    if enabled:
        yield from reading.each_repository(lambda repo, *args: read_issues(reading.client, reading.graphql_url, repo, *args))
