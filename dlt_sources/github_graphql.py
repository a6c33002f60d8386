"""GitHub's GraphQL side: pull requests (with their first commit, so no request per PR) and
deployments (with their status history), each repository read newest first and resumable to the
page; and, for the many repositories an hourly run finds unchanged, one check query for up to 100
of them.

Costs under GitHub's formula (dlt_sources.budget.graphql_cost): a page of 100 PRs with labels
and the first commit is 1 + 100 + 100 requests = 2 points, 3 with their first 100 changed files
(asked only of the repositories a `paths` cell names: dora.core.changed_files); each further
100 files of a larger PR is one more query of 1 point; a page of 100 deployments with up to
100 statuses each 1 + 100 = 1 point; a check of 100 repositories (one small connection each)
100 requests = 1 point, so an unchanged hourly run costs ~0.01 point per repository and resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Optional

from dlt_sources.github_rows import deployment_row, pull_request_row
from dlt_sources.http import CheckedRESTClient, GraphQLCursorPaginator
from dlt_sources.progress import read_newest_first

CHECK_BATCH = 100  # repositories per check query: 100 one-request connections = 1 point
RATE_LIMIT = "rateLimit { cost remaining resetAt }"  # what the budget has left, in every answer

FILES = "files(first: 100{after}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ path }} }}"


def pull_requests_query(files: bool) -> str:
    """One page of a repository's PRs; with `files`, each PR's first 100 changed files too."""
    return f"""
query($owner: String!, $name: String!, $after: String) {{
  {RATE_LIMIT}
  repository(owner: $owner, name: $name) {{
    databaseId
    nameWithOwner
    pullRequests(first: 100, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        databaseId number title createdAt updatedAt closedAt mergedAt state
        baseRefName headRefName url
        mergeCommit {{ oid }}
        author {{ login }}
        labels(first: 100) {{ nodes {{ name }} }}
        commits(first: 1) {{ nodes {{ commit {{ oid authoredDate }} }} }}
        {FILES.format(after="") if files else ""}
      }}
    }}
  }}
}}
"""


# The changed files of one PR past its first 100, a page (1 point) at a time.
PULL_REQUEST_FILES_QUERY = f"""
query($owner: String!, $name: String!, $number: Int!, $after: String) {{
  {RATE_LIMIT}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ {FILES.format(after=", after: $after")} }}
  }}
}}
"""

# A deployment counts at its first status in the definition's state (GitHub later adds `inactive`
# to every superseded deployment), so the status history comes along: oldest 100 of each.
DEPLOYMENTS_QUERY = f"""
query($owner: String!, $name: String!, $after: String) {{
  {RATE_LIMIT}
  repository(owner: $owner, name: $name) {{
    databaseId
    nameWithOwner
    deployments(first: 100, after: $after, orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        databaseId commitOid task environment createdAt updatedAt
        ref {{ name }}
        creator {{ login }}
        latestStatus {{ state createdAt logUrl }}
        statuses(first: 100) {{ nodes {{ state createdAt logUrl }} }}
      }}
    }}
  }}
}}
"""

REPOSITORY_ID_QUERY = f"""
query($owner: String!, $name: String!) {{
  {RATE_LIMIT}
  repository(owner: $owner, name: $name) {{ databaseId }}
}}
"""


@dataclass(frozen=True)
class Connection:
    """A repository connection read newest first on `field` (a row column)."""

    name: str  # the connection's field on Repository
    query: str  # one page of one repository
    field: str
    to_row: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    check: str  # the selection a check query asks of each repository: enough for `fingerprint`
    # What changes whenever the connection has something new for the next read, computed from the
    # nodes of a check answer or of a read's first page alike.
    fingerprint: Callable[[list[dict[str, Any]]], Optional[str]]
    files: bool = False  # its PRs come with their changed files (a repository's state remembers it)


def _newest_status(nodes: list[dict[str, Any]]) -> Optional[str]:
    """The newest creation or latest status of the newest 100 deployments: a new deployment or a
    new status on one of them moves it."""
    times = [t for node in nodes for t in (node["createdAt"], (node.get("latestStatus") or {}).get("createdAt")) if t]
    return max(times, default=None)


PULL_REQUESTS = Connection(
    "pullRequests", pull_requests_query(files=False), "updated_at", pull_request_row,
    "pullRequests(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { nodes { updatedAt } }",
    lambda nodes: max((node["updatedAt"] for node in nodes), default=None),
)  # fmt: skip
PULL_REQUESTS_WITH_FILES = replace(PULL_REQUESTS, query=pull_requests_query(files=True), files=True)
DEPLOYMENTS = Connection(
    "deployments", DEPLOYMENTS_QUERY, "created_at", deployment_row,
    "deployments(first: 100, orderBy: {field: CREATED_AT, direction: DESC})"
    " { nodes { createdAt latestStatus { createdAt } } }",
    _newest_status,
)  # fmt: skip


def read_repository(
    client: CheckedRESTClient,
    graphql_url: str,
    connection: Connection,
    repo: str,
    unit: dict[str, Any],
    start: datetime,
    lag: timedelta,
    checkpoint: Callable[[], None],
) -> Iterator[list[dict[str, Any]]]:
    """One repository's rows, newest first down to its floor (dlt_sources.progress); the first
    page's fingerprint is kept for later checks once the read completes. A repository whose PRs
    are now read with changed files and were not before (or the reverse) starts over from the
    backfill, so every PR in the window gets them."""
    owner, name = repo.split("/", 1)
    if unit.get("files", False) != connection.files:
        unit.clear()
        unit.update({"files": True} if connection.files else {})

    def pages(read: dict[str, Any]) -> Iterator[tuple[list[dict[str, Any]], Optional[str]]]:
        paged = client.paginate(
            graphql_url,
            method="POST",
            json={"query": connection.query, "variables": {"owner": owner, "name": name, "after": None}},
            paginator=GraphQLCursorPaginator(["data", "repository", connection.name, "pageInfo"], read["resume"]),
            data_selector=f"data.repository.{connection.name}.nodes",
        )
        for page in paged:
            nodes = list(page)
            read.setdefault("commit", {"top": connection.fingerprint(nodes)})
            repository = page.response.json()["data"]["repository"]
            following = page.paginator.end_cursor if page.paginator.has_next_page else None
            for node in nodes if connection.files else ():
                node["files"]["nodes"] += remaining_files(client, graphql_url, owner, name, node)
            yield [connection.to_row(node, repository) for node in nodes], following

    yield from read_newest_first(unit, pages, connection.field, start, lag, checkpoint)


def remaining_files(client: CheckedRESTClient, graphql_url: str, owner: str, name: str,
                    node: dict[str, Any]) -> list[dict[str, Any]]:
    """The changed files of a PR beyond the first page its node brought, a query per 100."""
    if not node["files"]["pageInfo"]["hasNextPage"]:
        return []
    pages = client.paginate(
        graphql_url,
        method="POST",
        json={"query": PULL_REQUEST_FILES_QUERY,
              "variables": {"owner": owner, "name": name, "number": node["number"], "after": None}},
        paginator=GraphQLCursorPaginator(["data", "repository", "pullRequest", "files", "pageInfo"],
                                         node["files"]["pageInfo"]["endCursor"]),
        data_selector="data.repository.pullRequest.files.nodes",
    )
    return [file for page in pages for file in page]


def unchanged_repositories(
    client: CheckedRESTClient, graphql_url: str, connection_of: Callable[[str], Connection], repos: list[str],
    units: dict[str, dict],
) -> list[str]:
    """Of `repos`, those read completely before (with files if they are read with files now) whose
    fingerprint has not moved since: nothing new for the next read. One query per CHECK_BATCH
    repositories (aliases r0, r1, ...); the repositories' connections differ at most in files."""
    known = [repo for repo in repos if "top" in units.get(repo, {}) and "read" not in units[repo]
             and units[repo].get("files", False) == connection_of(repo).files]
    if not known:
        return []
    connection = connection_of(known[0])
    unchanged = []
    for offset in range(0, len(known), CHECK_BATCH):
        batch = known[offset : offset + CHECK_BATCH]
        variables = {}
        for i, repo in enumerate(batch):
            variables[f"o{i}"], variables[f"n{i}"] = repo.split("/", 1)
        data = client.post(graphql_url, json={"query": check_query(connection, len(batch)),
                                              "variables": variables}).json()["data"]
        unchanged += [repo for i, repo in enumerate(batch)
                      if connection.fingerprint(data[f"r{i}"][connection.name]["nodes"]) == units[repo]["top"]]
    return unchanged


@cache
def check_query(connection: Connection, count: int) -> str:
    """The check of `count` repositories in one query."""
    variables = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(count))
    repositories = "\n".join(f"  r{i}: repository(owner: $o{i}, name: $n{i}) {{ {connection.check} }}"
                             for i in range(count))
    return f"query({variables}) {{\n  {RATE_LIMIT}\n{repositories}\n}}\n"


def repository_id(client: CheckedRESTClient, graphql_url: str, repo: str) -> int:
    owner, name = repo.split("/", 1)
    response = client.post(graphql_url, json={"query": REPOSITORY_ID_QUERY, "variables": {"owner": owner, "name": name}})
    return response.json()["data"]["repository"]["databaseId"]
