"""GitHub's GraphQL API, trimmed to what a DORA extractor reads, executed by graphql-core.

Every type, field, argument and enum below exists with the same name and type in GitHub's
public schema (tests/data/github-schema.graphql; tests/test_simorg.py checks it); fields the
extractor does not need are left out, so a query valid here is valid against GitHub. Objects are
plain dicts; a field with arguments is a callable in the dict (graphql-core's default resolver
calls it). What a query costs is simorg.ratelimit.query_cost, GitHub's published formula.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from graphql import (
    DocumentNode,
    GraphQLError,
    build_schema,
    execute,
    parse,
    validate,
)

from simorg import payloads
from simorg.index import ScenarioIndex
from simorg.payloads import Urls, fake_sha, iso, node_id
from simorg.ratelimit import Window
from simorg.scenario import Deployment, DeploymentStatus, PullRequest, Repo

SDL = """
scalar DateTime
scalar GitObjectID
scalar URI

enum OrderDirection { ASC DESC }
enum IssueOrderField { COMMENTS CREATED_AT UPDATED_AT }
input IssueOrder { direction: OrderDirection! field: IssueOrderField! }
enum PullRequestState { CLOSED MERGED OPEN }
enum DeploymentOrderField { CREATED_AT }
input DeploymentOrder { direction: OrderDirection! field: DeploymentOrderField! }
enum DeploymentStatusState { ERROR FAILURE INACTIVE IN_PROGRESS PENDING QUEUED SUCCESS WAITING }
enum PatchStatus { ADDED CHANGED COPIED DELETED MODIFIED RENAMED }
enum FileViewedState { DISMISSED UNVIEWED VIEWED }

type Query {
  rateLimit(dryRun: Boolean = false): RateLimit
  repository(followRenames: Boolean = true, name: String!, owner: String!): Repository
}

type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int! }

type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }

interface Actor { avatarUrl(size: Int): URI! login: String! resourcePath: URI! url: URI! }

type User implements Actor {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Ref { id: ID! name: String! prefix: String! }

type Repository {
  databaseId: Int
  defaultBranchRef: Ref
  deployments(
    after: String
    environments: [String!]
    first: Int
    orderBy: DeploymentOrder = {field: CREATED_AT, direction: ASC}
  ): DeploymentConnection!
  id: ID!
  name: String!
  nameWithOwner: String!
  pullRequest(number: Int!): PullRequest
  pullRequests(
    after: String
    baseRefName: String
    first: Int
    headRefName: String
    labels: [String!]
    orderBy: IssueOrder
    states: [PullRequestState!]
  ): PullRequestConnection!
  url: URI!
}

type PullRequestConnection {
  edges: [PullRequestEdge]
  nodes: [PullRequest]
  pageInfo: PageInfo!
  totalCount: Int!
}
type PullRequestEdge { cursor: String! node: PullRequest }

type PullRequest {
  author: Actor
  baseRefName: String!
  closed: Boolean!
  closedAt: DateTime
  commits(after: String, first: Int): PullRequestCommitConnection!
  createdAt: DateTime!
  databaseId: Int
  files(after: String, before: String, first: Int, last: Int): PullRequestChangedFileConnection
  headRefName: String!
  id: ID!
  isDraft: Boolean!
  labels(after: String, first: Int): LabelConnection
  merged: Boolean!
  mergeCommit: Commit
  mergedAt: DateTime
  number: Int!
  permalink: URI!
  state: PullRequestState!
  title: String!
  updatedAt: DateTime!
  url: URI!
}

type PullRequestChangedFileConnection {
  edges: [PullRequestChangedFileEdge]
  nodes: [PullRequestChangedFile]
  pageInfo: PageInfo!
  totalCount: Int!
}
type PullRequestChangedFileEdge { cursor: String! node: PullRequestChangedFile }
type PullRequestChangedFile {
  additions: Int!
  changeType: PatchStatus!
  deletions: Int!
  path: String!
  viewerViewedState: FileViewedState!
}

type LabelConnection { nodes: [Label] pageInfo: PageInfo! totalCount: Int! }
type Label { color: String! id: ID! name: String! }

type PullRequestCommitConnection { nodes: [PullRequestCommit] pageInfo: PageInfo! totalCount: Int! }
type PullRequestCommit { commit: Commit! id: ID! url: URI! }
type Commit { authoredDate: DateTime! committedDate: DateTime! id: ID! message: String! oid: GitObjectID! }

type DeploymentConnection {
  edges: [DeploymentEdge]
  nodes: [Deployment]
  pageInfo: PageInfo!
  totalCount: Int!
}
type DeploymentEdge { cursor: String! node: Deployment }

type Deployment {
  commitOid: String!
  createdAt: DateTime!
  creator: Actor!
  databaseId: Int
  description: String
  environment: String
  id: ID!
  latestEnvironment: String
  latestStatus: DeploymentStatus
  originalEnvironment: String
  ref: Ref
  statuses(after: String, before: String, first: Int, last: Int): DeploymentStatusConnection
  task: String
  updatedAt: DateTime!
}

type DeploymentStatusConnection { nodes: [DeploymentStatus] pageInfo: PageInfo! totalCount: Int! }

type DeploymentStatus {
  createdAt: DateTime!
  description: String
  environment: String
  id: ID!
  logUrl: URI
  state: DeploymentStatusState!
  updatedAt: DateTime!
}
"""

SCHEMA = build_schema(SDL)
MAX_PAGE = 100


class PaginationLimitError(GraphQLError):
    """GitHub rejects these before running the query: the answer has errors and no data."""


@dataclass
class GraphQLContext:
    index: ScenarioIndex
    urls: Urls
    rate: Window  # after this query was charged
    cost: int = 1
    nodes: int = 0


@lru_cache(maxsize=64)
def _parsed(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(SCHEMA, document))


def run_query(body: dict, context: GraphQLContext) -> dict:
    """The JSON answer to a POST /api/graphql body (always sent with HTTP 200, like GitHub)."""
    query = body.get("query")
    if not isinstance(query, str):
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    document, errors = _parsed(query)
    if errors:
        return {"errors": [error.formatted for error in errors]}
    result = execute(
        SCHEMA,
        document,
        root_value=_query_root(context),
        variable_values=body.get("variables") or {},
        operation_name=body.get("operationName"),
    )
    answer: dict = {}
    if result.errors:
        static = [e for e in result.errors if isinstance(e.original_error, PaginationLimitError)]
        if static:
            return {"errors": [{"type": "EXCESSIVE_PAGINATION", **e.formatted} for e in static]}
        answer["errors"] = [error.formatted for error in result.errors]
    answer["data"] = result.data
    return answer


# --- pagination --------------------------------------------------------------------------


def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:v2:{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        prefix, _, number = text.rpartition(":")
        if prefix != "cursor:v2":
            raise ValueError(text)
        return int(number)
    except ValueError as error:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from error


def connection(name: str, items: Sequence, first: int | None, after: str | None, render: Callable) -> dict:
    if first is None:
        raise PaginationLimitError(
            f"You must provide a `first` or `last` value to properly paginate the `{name}` connection."
        )
    if first > MAX_PAGE or first < 0:
        raise PaginationLimitError(
            f"Requesting {first} records on the `{name}` connection exceeds the `first` limit of {MAX_PAGE} records."
        )
    start = _position(after) + 1 if after else 0
    page = items[start : start + first]
    nodes = [render(item) for item in page]
    cursors = [_cursor(start + i) for i in range(len(page))]
    return {
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes)],
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": start + first < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


# --- objects -----------------------------------------------------------------------------


def _actor(login: str | None, urls: Urls) -> dict | None:
    if login is None:
        return None
    return {
        "__typename": "User",
        "login": login,
        "databaseId": payloads.stable_int(login),
        "id": node_id("U_", login),
        "avatarUrl": lambda info, size=None: f"{urls.web}/avatars/{login}",
        "resourcePath": f"/{login}",
        "url": f"{urls.web}/{login}",
    }


def _commit(oid: str, authored: datetime, committed: datetime, message: str) -> dict:
    return {
        "oid": oid,
        "id": node_id("C_", oid),
        "authoredDate": iso(authored),
        "committedDate": iso(committed),
        "message": message,
    }


def pr_commits(pr: PullRequest) -> list[dict]:
    """The PR's commits, oldest first. Only the first commit's time is in the scenario: it gets
    first_commit_at, and 0-3 more commits follow, evenly spread up to the PR's last change."""
    if pr.first_commit_at is None:
        return []
    count = 1 + pr.id % 4
    end = pr.merged_at or pr.closed_at or pr.created_at
    step = max(end - pr.first_commit_at, timedelta(0)) / count
    commits = []
    for i in range(count):
        at = pr.first_commit_at + step * i
        oid = fake_sha(f"{pr.repo}#{pr.number}:commit:{i}")
        commits.append(_commit(oid, at, at, f"{pr.title} (part {i + 1})"))
    return commits


GENERATED_AREAS = ("services/api", "services/web", "services/worker", "docs", "lib")


def pr_files(pr: PullRequest) -> list[dict]:
    """The PR's changed files. A scenario that names them (pr.files) gets exactly those; others
    get made-up ones, from the PR's id alone (no random draw, so the scenario stays as it was):
    1-8 files in one or two areas, and one PR in 50 a large one of 120-259 files, past a page."""
    paths = pr.files
    if paths is None:
        count = 120 + pr.id % 140 if pr.id % 50 == 0 else 1 + pr.id % 8
        areas = (GENERATED_AREAS[pr.id % 5], GENERATED_AREAS[(pr.id // 5) % 5])
        paths = [f"{areas[i % 2]}/src/module_{pr.id % 13}/file_{i}.py" for i in range(count)]
    return [{"path": path, "changeType": "MODIFIED", "additions": 1 + len(path) % 40, "deletions": len(path) % 7,
             "viewerViewedState": "UNVIEWED"} for path in paths]


def _pull_request(pr: PullRequest, repo: Repo, urls: Urls) -> dict:
    url = f"{urls.web}/{repo.full_name}/pull/{pr.number}"

    def labels(info, first=None, after=None):
        return connection(
            "labels", pr.labels, first, after,
            lambda name: {"name": name, "id": node_id("LA_", f"{repo.id}:{name}"), "color": fake_sha(name)[:6]},
        )

    def commits(info, first=None, after=None):
        return connection(
            "commits", pr_commits(pr), first, after,
            lambda c: {"commit": c, "id": node_id("PRC_", c["oid"]), "url": f"{url}/commits/{c['oid']}"},
        )

    def files(info, first=None, after=None, last=None, before=None):
        return connection("files", pr_files(pr), first, after, lambda f: f)

    merge_commit = None
    if pr.merge_commit_sha:
        merged = pr.merged_at or pr.updated_at
        merge_commit = _commit(pr.merge_commit_sha, merged, merged, f"Merge pull request #{pr.number}")
    return {
        "databaseId": pr.id,
        "id": node_id("PR_", pr.id),
        "number": pr.number,
        "title": pr.title,
        "createdAt": iso(pr.created_at),
        "updatedAt": iso(pr.updated_at),
        "closedAt": iso(pr.closed_at if pr.closed_at else pr.merged_at),
        "mergedAt": iso(pr.merged_at),
        "closed": pr.state != "open",
        "merged": pr.state == "merged",
        "isDraft": False,
        "state": pr.state.upper(),
        "baseRefName": pr.base_ref,
        "headRefName": pr.head_ref,
        "url": url,
        "permalink": url,
        "mergeCommit": merge_commit,
        "author": _actor(pr.author, urls),
        "labels": labels,
        "commits": commits,
        "files": files,
    }


def _deployment_status(status: DeploymentStatus, dep: Deployment) -> dict:
    return {
        "id": node_id("DES_", status.id),
        "state": status.state.upper(),
        "createdAt": iso(status.created_at),
        "updatedAt": iso(status.created_at),
        "logUrl": status.log_url,
        "environment": dep.environment,
        "description": f"Deployment {status.state}.",
    }


def _deployment(dep: Deployment, repo: Repo, urls: Urls) -> dict:
    """Statuses page oldest first (GitHub documents no order: the extractor sorts them itself)."""
    latest = dep.statuses[-1] if dep.statuses else None

    def statuses(info, first=None, after=None, last=None, before=None):
        return connection("statuses", dep.statuses, first, after, lambda s: _deployment_status(s, dep))

    return {
        "databaseId": dep.id,
        "id": node_id("DE_", dep.id),
        "commitOid": dep.sha,
        "ref": {"id": node_id("REF_", f"{repo.id}:{dep.ref}"), "name": dep.ref, "prefix": "refs/heads/"},
        "task": dep.task,
        "environment": dep.environment,
        "originalEnvironment": dep.environment,
        "latestEnvironment": dep.environment,
        "description": f"Deploy {dep.sha[:7]} to {dep.environment}",
        "createdAt": iso(dep.created_at),
        "updatedAt": iso(dep.updated_at),
        "creator": _actor(dep.creator or payloads.GHOST, urls),
        "latestStatus": None if latest is None else _deployment_status(latest, dep),
        "statuses": statuses,
    }


def _repository(repo: Repo, context: GraphQLContext) -> dict:
    index, urls = context.index, context.urls

    def pull_requests(info, first=None, after=None, orderBy=None, states=None, baseRefName=None,
                      headRefName=None, labels=None):
        order = orderBy or {"field": "CREATED_AT", "direction": "ASC"}
        sort_key = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "COMMENTS": "created_at"}[order["field"]]
        wanted_states = {s.lower() for s in states} if states else None
        wanted_labels = set(labels) if labels else None

        def matching() -> list[PullRequest]:
            ordered = index.sorted_records("pull_requests", repo, sort_key, order["direction"] == "DESC")
            return [
                pr for pr in ordered
                if (wanted_states is None or pr.state in wanted_states)
                and (baseRefName is None or pr.base_ref == baseRefName)
                and (headRefName is None or pr.head_ref == headRefName)
                and (wanted_labels is None or wanted_labels & set(pr.labels))
            ]

        key = ("prs", repo.full_name, sort_key, order["direction"], tuple(sorted(wanted_states or ())),
               baseRefName, headRefName, tuple(sorted(wanted_labels or ())))
        return connection("pullRequests", index.memo(key, matching), first, after,
                          lambda pr: _pull_request(pr, repo, urls))

    def pull_request(info, number):
        by_number = index.memo(("pr_numbers", repo.full_name), lambda: {
            pr.number: pr for pr in index.sorted_records("pull_requests", repo, "created_at", False)})
        return _pull_request(by_number[number], repo, urls) if number in by_number else None

    def deployments(info, first=None, after=None, orderBy=None, environments=None):
        descending = bool(orderBy) and orderBy["direction"] == "DESC"
        wanted = set(environments) if environments else None

        def matching() -> list[Deployment]:
            ordered = index.sorted_records("deployments", repo, "created_at", descending)
            return [d for d in ordered if wanted is None or d.environment in wanted]

        key = ("deployments", repo.full_name, descending, tuple(sorted(wanted or ())))
        return connection("deployments", index.memo(key, matching), first, after,
                          lambda dep: _deployment(dep, repo, urls))

    return {
        "databaseId": repo.id,
        "id": node_id("R_", repo.id),
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "url": f"{urls.web}/{repo.full_name}",
        "defaultBranchRef": {
            "id": node_id("REF_", f"{repo.id}:{repo.default_branch}"),
            "name": repo.default_branch,
            "prefix": "refs/heads/",
        },
        "pullRequest": pull_request,
        "pullRequests": pull_requests,
        "deployments": deployments,
    }


def _query_root(context: GraphQLContext) -> dict:
    def repository(info, owner, name, followRenames=True):
        repo = context.index.repo(f"{owner}/{name}")
        if repo is None:
            raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return _repository(repo, context)

    rate = context.rate
    return {
        "rateLimit": lambda info, dryRun=False: {
            "cost": context.cost,
            "limit": rate.limit,
            "nodeCount": context.nodes,
            "remaining": rate.remaining,
            "used": rate.used,
            "resetAt": iso(datetime.fromtimestamp(rate.reset_epoch).astimezone()),
        },
        "repository": repository,
    }
