"""GitLab source (gitlab.com or self-managed `https://HOST/api/v4`): merged merge requests from
GraphQL (their commits come inside the same page, so no request per MR), pipelines, the jobs of
finished pipelines on the deployment refs, and deployments from REST.

Every project keeps its own cursor per resource (dlt_sources.progress), so a project added to
`projects` or to the group later is read back `backfill_days`, the others from their cursor minus
`lookback_hours`: REST lists are asked for `updated_after` that floor with
`order_by=updated_at&sort=asc` and paged by the Link header; merge requests use GraphQL's
`updatedAfter` with `UPDATED_ASC`. Oldest change first, each page moves a project's read forward,
so a run stopped part-way (every `requests_per_load` requests a load commits rows and cursors, a
rate limit stops it) continues there next time.
A pipeline list row has no started/finished times, so a finished pipeline that changed is read
once more on its own (GitLab has no bulk form), and its jobs are listed; one already read with the
same updated_at (the lookback lists it again) is skipped. GitLab's 429 (RateLimit-Reset epoch
seconds, Retry-After) is waited out up to `max_rate_limit_wait`, like GitHub's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, Callable, Iterator, Optional
from urllib.parse import quote

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from dlt_sources.errors import SourceError
from dlt_sources.gitlab_rows import (
    DEPLOYMENT_COLUMNS,
    JOB_COLUMNS,
    MERGE_REQUEST_COLUMNS,
    PIPELINE_COLUMNS,
    deployment_row,
    job_row,
    merge_request_row,
    pipeline_row,
)
from dlt_sources.http import (
    DEFAULT_MAX_RATE_LIMIT_WAIT,
    CheckedRESTClient,
    GraphQLCursorPaginator,
    Service,
    gitlab_reset_delay,
    make_client,
)
from dlt_sources.progress import DEFAULT_REQUESTS_PER_LOAD, Pass, read_oldest_first
from dlt_sources.rows import LOAD_FILE_FORMAT, format_time, parse_time

FINISHED_STATUSES = {"success", "failed", "canceled", "skipped"}
PAGE_SIZE = 100

# 50 merge requests x 100 commits a page keeps inside GitLab's query complexity limit; the first
# commit is the oldest authored of an MR's (first 100) commits.
MERGE_REQUESTS_QUERY = """
query($project: ID!, $updatedAfter: Time, $after: String) {
  project(fullPath: $project) {
    id
    fullPath
    mergeRequests(state: merged, updatedAfter: $updatedAfter, sort: UPDATED_ASC, first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid title createdAt updatedAt mergedAt targetBranch sourceBranch
        mergeCommitSha squashCommitSha webUrl
        author { username }
        labels(first: 100) { nodes { title } }
        commitsWithoutMergeCommits(first: 100) { nodes { authoredDate } }
      }
    }
  }
}
"""

GITLAB = Service("GitLab", "sources.gitlab.access_token", gitlab_reset_delay)


def graphql_endpoint(base_url: str) -> str:
    """REST lives at HOST/api/v4, GraphQL at HOST/api/graphql."""
    return base_url.rstrip("/").removesuffix("/v4") + "/graphql"


@dlt.source(name="gitlab", max_table_nesting=0)
def gitlab(
    access_token: str = dlt.secrets.value,
    projects: Optional[list[str]] = None,
    group: Optional[str] = None,
    base_url: str = "https://gitlab.com/api/v4",
    graphql_url: Optional[str] = None,
    deployment_refs: Optional[list[str]] = None,
    backfill_days: int = 365,
    lookback_hours: int = 72,
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
    requests_per_load: int = DEFAULT_REQUESTS_PER_LOAD,
) -> Any:
    """Projects are the given full paths (`group/sub/name`), or every project of `group` and
    its subgroups. Jobs are fetched for finished pipelines whose ref matches one of the
    `deployment_refs` globs (default main and master)."""
    if not projects and not group:
        raise SourceError(
            "GitLab source: set sources.gitlab.projects (SOURCES__GITLAB__PROJECTS, a JSON list of"
            " project paths) or sources.gitlab.group (SOURCES__GITLAB__GROUP)."
        )
    client = make_client(base_url, BearerTokenAuth(access_token), GITLAB, max_rate_limit_wait)
    reading = Reading(client, cache(lambda: list(projects) if projects else group_projects(client, group)),
                      datetime.now(timezone.utc) - timedelta(days=backfill_days), timedelta(hours=lookback_hours),
                      requests_per_load)
    listed_pipelines = pipelines(reading)
    return (
        merge_requests(reading, graphql_url or graphql_endpoint(base_url)),
        listed_pipelines,
        listed_pipelines | jobs(client, list(deployment_refs or ["main", "master"])),
        deployments(reading),
    )


@dataclass(frozen=True)
class Reading:
    """What the resources of one load share: the client, the projects and the window."""

    client: CheckedRESTClient
    projects: Callable[[], list[str]]
    start: datetime  # how far back a project's first read reaches
    lag: timedelta
    requests_per_load: int

    def each_project(self, pages: Callable[[str, dict[str, Any], datetime], Iterator[tuple[list[dict[str, Any]], bool]]]
                     ) -> Iterator[list[dict[str, Any]]]:
        """For each project the pass has not done, the rows of `pages(project, its state, since)`,
        oldest change first (dlt_sources.progress.read_oldest_first)."""
        progress = Pass(self.projects(), "projects", self.client, self.requests_per_load)

        def read(project: str, unit: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
            return read_oldest_first(unit, lambda since: pages(project, unit, since), "updated_at",
                                     self.start, self.lag, progress.checkpoint)

        yield from progress.read(read)


def group_projects(client: CheckedRESTClient, group: str) -> list[str]:
    pages = _pages(client, f"groups/{quote(group, safe='')}/projects", {"include_subgroups": "true"})
    return [project["path_with_namespace"] for page in pages for project in page]


def _pages(client: CheckedRESTClient, path: str, params: dict[str, Any]) -> Iterator[Any]:
    return client.paginate(path, params={**params, "per_page": PAGE_SIZE}, paginator=HeaderLinkPaginator(),
                           data_selector="$")


def _changed(client: CheckedRESTClient, project: str, what: str, since: datetime) -> Iterator[Any]:
    """Pages of a project's list, oldest change first, changed at or after `since`."""
    params = {"updated_after": format_time(since), "order_by": "updated_at", "sort": "asc"}
    return _pages(client, f"projects/{quote(project, safe='')}/{what}", params)


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=MERGE_REQUEST_COLUMNS)
def merge_requests(reading: Reading, graphql_url: str) -> Iterator[list[dict[str, Any]]]:
    def pages(project: str, unit: dict[str, Any], since: datetime) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        variables = {"project": project, "updatedAfter": format_time(since), "after": None}
        paged = reading.client.paginate(
            graphql_url,
            method="POST",
            json={"query": MERGE_REQUESTS_QUERY, "variables": variables},
            paginator=GraphQLCursorPaginator(["data", "project", "mergeRequests", "pageInfo"]),
            data_selector="data.project.mergeRequests.nodes",
        )
        for page in paged:
            found = page.response.json()["data"]["project"]
            if found is None:
                raise SourceError(f"GitLab project {project!r} does not exist or the token cannot read it")
            yield [merge_request_row(node, found) for node in page], page.paginator.has_next_page

    yield from reading.each_project(pages)


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=PIPELINE_COLUMNS)
def pipelines(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    """Child pipelines (source parent_pipeline) are not listed by GitLab and not asked for. A
    finished pipeline already read with the same updated_at is not read, nor its row yielded, again
    (a project keeps the finished pipelines it read from the floor on: {id: updated_at})."""

    def pages(project: str, unit: dict[str, Any], since: datetime) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        known: dict[str, str] = {id: at for id, at in unit.get("finished", {}).items() if at >= format_time(since)}
        unit["finished"] = known
        for page in _changed(reading.client, project, "pipelines", since):
            fresh = [p for p in page if known.get(str(p["id"])) != format_time(parse_time(p["updated_at"]))]
            rows = [pipeline_row(_finished(reading.client, project, p), project) for p in fresh]
            known.update({str(row["id"]): format_time(row["updated_at"]) for row in rows
                          if row["status"] in FINISHED_STATUSES})
            yield rows, page.paginator.has_next_page

    yield from reading.each_project(pages)


def _finished(client: CheckedRESTClient, project: str, pipeline: dict[str, Any]) -> dict[str, Any]:
    """The single-pipeline payload (with started_at/finished_at) of a finished pipeline."""
    if pipeline["status"] not in FINISHED_STATUSES:
        return pipeline
    return client.get(f"projects/{quote(project, safe='')}/pipelines/{pipeline['id']}").json()


@dlt.transformer(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=JOB_COLUMNS)
def jobs(
    pipeline_rows: list[dict[str, Any]], client: CheckedRESTClient, refs: list[str]
) -> Iterator[list[dict[str, Any]]]:
    """Jobs (with allow_failure) of the changed finished pipelines on the deployment refs."""
    for pipeline in pipeline_rows:
        if pipeline["status"] in FINISHED_STATUSES and any(fnmatchcase(pipeline["ref"] or "", ref) for ref in refs):
            path = f"projects/{quote(pipeline['project'], safe='')}/pipelines/{pipeline['id']}/jobs"
            for page in _pages(client, path, {}):
                yield [job_row(job, pipeline["project"]) for job in page]


@dlt.resource(primary_key="id", write_disposition="merge", file_format=LOAD_FILE_FORMAT, columns=DEPLOYMENT_COLUMNS)
def deployments(reading: Reading) -> Iterator[list[dict[str, Any]]]:
    def pages(project: str, unit: dict[str, Any], since: datetime) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        for page in _changed(reading.client, project, "deployments", since):
            yield [deployment_row(deployment, project) for deployment in page], page.paginator.has_next_page

    yield from reading.each_project(pages)
