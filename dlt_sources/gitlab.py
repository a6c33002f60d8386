"""GitLab source (gitlab.com or self-managed `https://HOST/api/v4`): merged merge requests from
GraphQL (their commits come inside the same page, so no request per MR), pipelines, the jobs of
finished pipelines on the deployment refs, and deployments from REST.

Every resource is incremental on `updated_at` with a lookback (`lag`): REST lists are asked for
`updated_after` the stored cursor minus `lookback_hours` with `order_by=updated_at&sort=asc`
and paged by the Link header; merge requests use GraphQL's `updatedAfter` with `UPDATED_ASC`.
A pipeline list row has no started/finished times, so each finished pipeline that changed is
read once more on its own (GitLab has no bulk form), and its jobs are listed.
GitLab's 429 (RateLimit-Reset epoch seconds, Retry-After) is waited out up to
`max_rate_limit_wait`, like GitHub's.
"""

# No `from __future__ import annotations`: dlt finds a resource's incremental argument by its
# evaluated type hint, and string annotations make it silently skip the cursor.

from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, Callable, Iterator, Optional
from urllib.parse import quote

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from dlt_sources.errors import SourceError
from dlt_sources.http import (
    DEFAULT_MAX_RATE_LIMIT_WAIT,
    CheckedRESTClient,
    GraphQLCursorPaginator,
    Service,
    gitlab_reset_delay,
    make_client,
)
from dlt_sources.rows import format_time, parse_time, table_columns

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

MERGE_REQUEST_COLUMNS = table_columns(
    id="bigint", iid="bigint", project_id="bigint", project="text", title="text", author="text",
    labels="json", source_branch="text", target_branch="text", state="text", created_at="timestamp",
    updated_at="timestamp", merged_at="timestamp", merge_commit_sha="text", squash_commit_sha="text",
    first_commit_at="timestamp", web_url="text",
)  # fmt: skip
PIPELINE_COLUMNS = table_columns(
    id="bigint", iid="bigint", project_id="bigint", project="text", name="text", ref="text", sha="text",
    source="text", status="text", created_at="timestamp", updated_at="timestamp", started_at="timestamp",
    finished_at="timestamp", user="text", web_url="text",
)  # fmt: skip
JOB_COLUMNS = table_columns(
    id="bigint", pipeline_id="bigint", project="text", name="text", stage="text", status="text",
    allow_failure="bool", ref="text", sha="text", started_at="timestamp", finished_at="timestamp", web_url="text",
)  # fmt: skip
DEPLOYMENT_COLUMNS = table_columns(
    id="bigint", iid="bigint", project="text", environment="text", status="text",
    sha="text", ref="text", created_at="timestamp", updated_at="timestamp", finished_at="timestamp",
    user="text", web_url="text",
)  # fmt: skip


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
    paths = cache(lambda: list(projects) if projects else group_projects(client, group))
    start = datetime.now(timezone.utc) - timedelta(days=backfill_days)
    lag = lookback_hours * 3600

    def cursor() -> Any:
        return dlt.sources.incremental("updated_at", initial_value=start, lag=lag)

    listed_pipelines = pipelines(client, paths, cursor())
    return (
        merge_requests(client, graphql_url or graphql_endpoint(base_url), paths, cursor()),
        listed_pipelines,
        listed_pipelines | jobs(client, list(deployment_refs or ["main", "master"])),
        deployments(client, paths, cursor()),
    )


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


@dlt.resource(primary_key="id", write_disposition="merge", columns=MERGE_REQUEST_COLUMNS)
def merge_requests(
    client: CheckedRESTClient,
    graphql_url: str,
    paths: Callable[[], list[str]],
    updated_at: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    for project in paths():
        variables = {"project": project, "updatedAfter": format_time(updated_at.start_value), "after": None}
        pages = client.paginate(
            graphql_url,
            method="POST",
            json={"query": MERGE_REQUESTS_QUERY, "variables": variables},
            paginator=GraphQLCursorPaginator(["data", "project", "mergeRequests", "pageInfo"]),
            data_selector="data.project.mergeRequests.nodes",
        )
        for page in pages:
            found = page.response.json()["data"]["project"]
            if found is None:
                raise SourceError(f"GitLab project {project!r} does not exist or the token cannot read it")
            yield [_merge_request_row(node, found) for node in page]


@dlt.resource(primary_key="id", write_disposition="merge", columns=PIPELINE_COLUMNS)
def pipelines(
    client: CheckedRESTClient,
    paths: Callable[[], list[str]],
    updated_at: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    """Child pipelines (source parent_pipeline) are not listed by GitLab and not asked for."""
    for project in paths():
        for page in _changed(client, project, "pipelines", updated_at.start_value):
            yield [_pipeline_row(_finished(client, project, pipeline), project) for pipeline in page]


def _finished(client: CheckedRESTClient, project: str, pipeline: dict[str, Any]) -> dict[str, Any]:
    """The single-pipeline payload (with started_at/finished_at) of a finished pipeline."""
    if pipeline["status"] not in FINISHED_STATUSES:
        return pipeline
    return client.get(f"projects/{quote(project, safe='')}/pipelines/{pipeline['id']}").json()


@dlt.transformer(primary_key="id", write_disposition="merge", columns=JOB_COLUMNS)
def jobs(
    pipeline_rows: list[dict[str, Any]], client: CheckedRESTClient, refs: list[str]
) -> Iterator[list[dict[str, Any]]]:
    """Jobs (with allow_failure) of the changed finished pipelines on the deployment refs."""
    for pipeline in pipeline_rows:
        if pipeline["status"] in FINISHED_STATUSES and any(fnmatchcase(pipeline["ref"] or "", ref) for ref in refs):
            path = f"projects/{quote(pipeline['project'], safe='')}/pipelines/{pipeline['id']}/jobs"
            for page in _pages(client, path, {}):
                yield [_job_row(job, pipeline["project"]) for job in page]


@dlt.resource(primary_key="id", write_disposition="merge", columns=DEPLOYMENT_COLUMNS)
def deployments(
    client: CheckedRESTClient,
    paths: Callable[[], list[str]],
    updated_at: dlt.sources.incremental[datetime],
) -> Iterator[list[dict[str, Any]]]:
    for project in paths():
        for page in _changed(client, project, "deployments", updated_at.start_value):
            yield [_deployment_row(deployment, project) for deployment in page]


def _gid(global_id: str) -> int:
    """`gid://gitlab/MergeRequest/123` -> 123 (the REST id)."""
    return int(global_id.rsplit("/", 1)[1])


def _username(user: Optional[dict[str, Any]]) -> Optional[str]:
    return user.get("username") if user else None


def _merge_request_row(node: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    commits = [parse_time(c["authoredDate"]) for c in node["commitsWithoutMergeCommits"]["nodes"] if c["authoredDate"]]
    return {
        "id": _gid(node["id"]),
        "iid": int(node["iid"]),
        "project_id": _gid(project["id"]),
        "project": project["fullPath"],
        "title": node["title"],
        "author": _username(node["author"]),
        "labels": [label["title"] for label in (node.get("labels") or {}).get("nodes") or []],
        "source_branch": node["sourceBranch"],
        "target_branch": node["targetBranch"],
        "state": "merged",
        "created_at": parse_time(node["createdAt"]),
        "updated_at": parse_time(node["updatedAt"]),
        "merged_at": parse_time(node["mergedAt"]),
        "merge_commit_sha": node["mergeCommitSha"],
        "squash_commit_sha": node["squashCommitSha"] or None,
        "first_commit_at": min(commits) if commits else None,
        "web_url": node["webUrl"],
    }


def _pipeline_row(pipeline: dict[str, Any], project: str) -> dict[str, Any]:
    return {
        "id": pipeline["id"],
        "iid": pipeline.get("iid"),
        "project_id": pipeline["project_id"],
        "project": project,
        "name": pipeline.get("name"),
        "ref": pipeline["ref"],
        "sha": pipeline["sha"],
        "source": pipeline["source"],
        "status": pipeline["status"],
        "created_at": parse_time(pipeline["created_at"]),
        "updated_at": parse_time(pipeline["updated_at"]),
        "started_at": parse_time(pipeline.get("started_at")),
        "finished_at": parse_time(pipeline.get("finished_at")),
        "user": _username(pipeline.get("user")),
        "web_url": pipeline["web_url"],
    }


def _job_row(job: dict[str, Any], project: str) -> dict[str, Any]:
    return {
        "id": job["id"],
        "pipeline_id": job["pipeline"]["id"],
        "project": project,
        "name": job["name"],
        "stage": job["stage"],
        "status": job["status"],
        "allow_failure": job["allow_failure"],
        "ref": job["ref"],
        "sha": job["pipeline"]["sha"],
        "started_at": parse_time(job.get("started_at")),
        "finished_at": parse_time(job.get("finished_at")),
        "web_url": job["web_url"],
    }


def _deployment_row(deployment: dict[str, Any], project: str) -> dict[str, Any]:
    deployable = deployment.get("deployable") or {}
    return {
        "id": deployment["id"],
        "iid": deployment["iid"],
        "project": project,
        "environment": (deployment.get("environment") or {}).get("name"),
        "status": deployment["status"],
        "sha": deployment["sha"],
        "ref": deployment["ref"],
        "created_at": parse_time(deployment["created_at"]),
        "updated_at": parse_time(deployment["updated_at"]),
        "finished_at": parse_time(deployable.get("finished_at")),
        "user": _username(deployment.get("user")),
        "web_url": deployable.get("web_url"),
    }
