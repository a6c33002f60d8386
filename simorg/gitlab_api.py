"""The simulated GitLab: REST v4 under /gitlab/api/v4 and GraphQL at /gitlab/api/graphql.

Payload keys, filters, ordering and paging follow GitLab's documentation (see
shared/reference/apis-gitlab-jira.md): list endpoints page with page/per_page (<= 100) and a
Link header; pipeline lists hold no started/finished times (the single-pipeline endpoint does)
and leave out child pipelines unless source=parent_pipeline is asked for; deployments refuse
updated_after without order_by=updated_at (400, like GitLab). Times are written with
milliseconds and Z, as GitLab does. Merge requests with their commits come from GraphQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import unquote

from graphql import GraphQLError, build_schema, execute, parse, validate

from simorg.faults import Fault
from simorg.filters import InvalidFilter, parse_instant
from simorg.gitlab_jira import Edge, route
from simorg.payloads import Urls
from simorg.routes import Context, HttpError, Request, Response, github_page
from simorg.scenario import GitLabDeployment, GitLabJob, GitLabProject, MergeRequest, Pipeline, Scenario

PREFIX = "/gitlab"
FINISHED_PIPELINE = {"success", "failed", "canceled", "skipped"}


def gl_time(value: datetime | None) -> str | None:
    """GitLab writes 2024-01-10T11:00:00.000Z."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(status: int, message: str) -> HttpError:
    return HttpError(status, {"message": message} if status != 400 else {"error": message})


# --- payloads ------------------------------------------------------------------------------


def _web(project: str, urls: Urls) -> str:
    return f"{urls.host}{PREFIX}/{project}"


def _user(username: str | None) -> dict | None:
    if username is None:
        return None
    return {"id": sum(map(ord, username)), "username": username, "name": username.title(), "state": "active"}


def project_payload(project: GitLabProject, urls: Urls) -> dict:
    name = project.path_with_namespace.rsplit("/", 1)[-1]
    return {
        "id": project.id, "name": name, "path": name, "path_with_namespace": project.path_with_namespace,
        "name_with_namespace": project.path_with_namespace.replace("/", " / "),
        "default_branch": project.default_branch, "web_url": _web(project.path_with_namespace, urls),
        "namespace": {"full_path": project.namespace, "kind": "group"},
    }


def pipeline_payload(pipeline: Pipeline, project: GitLabProject, urls: Urls, *, detail: bool = False) -> dict:
    payload = {
        "id": pipeline.id, "iid": pipeline.iid, "project_id": project.id, "sha": pipeline.sha, "ref": pipeline.ref,
        "status": pipeline.status, "source": pipeline.source, "name": pipeline.name,
        "created_at": gl_time(pipeline.created_at), "updated_at": gl_time(pipeline.updated_at),
        "web_url": f"{_web(project.path_with_namespace, urls)}/-/pipelines/{pipeline.id}",
    }
    if detail:
        duration = (pipeline.finished_at - pipeline.started_at).total_seconds() \
            if pipeline.finished_at and pipeline.started_at else None
        payload |= {
            "before_sha": "0" * 40, "tag": False, "user": _user(pipeline.user),
            "started_at": gl_time(pipeline.started_at), "finished_at": gl_time(pipeline.finished_at),
            "committed_at": None, "duration": duration, "queued_duration": 1.0, "coverage": None,
            "detailed_status": {"group": pipeline.status, "label": pipeline.status, "text": pipeline.status},
        }
    return payload


def job_payload(job: GitLabJob, pipeline: Pipeline, project: GitLabProject, urls: Urls) -> dict:
    return {
        "id": job.id, "name": job.name, "stage": job.stage, "status": job.status, "ref": pipeline.ref,
        "allow_failure": job.allow_failure, "tag": False, "created_at": gl_time(pipeline.created_at),
        "started_at": gl_time(job.started_at), "finished_at": gl_time(job.finished_at),
        "duration": (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None,
        "user": _user(pipeline.user),
        "commit": {"id": pipeline.sha, "short_id": pipeline.sha[:8]},
        "pipeline": {"id": pipeline.id, "project_id": project.id, "ref": pipeline.ref, "sha": pipeline.sha,
                     "status": pipeline.status},
        "web_url": f"{_web(project.path_with_namespace, urls)}/-/jobs/{job.id}",
    }


def deployment_payload(deployment: GitLabDeployment, project: GitLabProject, urls: Urls) -> dict:
    return {
        "id": deployment.id, "iid": deployment.iid, "ref": deployment.ref, "sha": deployment.sha,
        "status": deployment.status, "created_at": gl_time(deployment.created_at),
        "updated_at": gl_time(deployment.updated_at), "user": _user(deployment.user),
        "environment": {"id": sum(map(ord, deployment.environment)), "name": deployment.environment,
                        "external_url": None},
        "deployable": {
            "id": deployment.id * 10, "name": f"deploy-{deployment.environment}", "stage": "deploy",
            "status": deployment.status, "ref": deployment.ref, "tag": False,
            "created_at": gl_time(deployment.created_at), "finished_at": gl_time(deployment.finished_at),
            "commit": {"id": deployment.sha},
            "web_url": f"{_web(project.path_with_namespace, urls)}/-/jobs/{deployment.id * 10}",
        },
    }


# --- REST ----------------------------------------------------------------------------------


def _project(context: Context, params: dict[str, str]) -> GitLabProject:
    """`:id` is the numeric id or the URL-encoded full path."""
    wanted = unquote(params["project"])
    for project in context.index.scenario.gitlab_projects:
        if str(project.id) == wanted or project.path_with_namespace == wanted:
            return project
    raise HttpError(404, {"message": "404 Project Not Found"})


def _of_project(records: list, project: GitLabProject) -> list:
    return [record for record in records if record.project == project.path_with_namespace]


def _instant(request: Request, name: str) -> datetime | None:
    value = request.arg(name)
    try:
        return parse_instant(value) if value else None
    except InvalidFilter as error:
        raise _error(400, f"{name} is invalid: {error}") from None


def _ordered(records: list, request: Request, allowed: tuple[str, ...]) -> list:
    order_by, sort = request.arg("order_by", "id"), request.arg("sort", "desc")
    if order_by not in allowed or sort not in ("asc", "desc"):
        raise _error(400, f"order_by does not have a valid value (allowed: {', '.join(allowed)})")
    return sorted(records, key=lambda r: (getattr(r, order_by), r.id), reverse=sort == "desc")


def _page(request: Request, items: list, render) -> Response:
    """GitLab offset paging: Link rel=next/prev/first/last plus the X-* headers."""
    page, headers = github_page(request, items, render)
    per_page = min(max(request.int_arg("per_page", 20), 1), 100)
    number = max(request.int_arg("page", 1), 1)
    pages = max(-(-len(items) // per_page), 1)
    headers |= {"X-Page": str(number), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                "X-Total-Pages": str(pages), "X-Next-Page": str(number + 1) if number < pages else "",
                "X-Prev-Page": str(number - 1) if number > 1 else ""}
    return Response(200, page, headers)


def list_group_projects(context: Context, request: Request, params: dict[str, str]) -> Response:
    group = unquote(params["group"])
    subgroups = request.arg("include_subgroups") == "true"
    projects = sorted(
        (p for p in context.index.scenario.gitlab_projects
         if p.namespace == group or (subgroups and p.namespace.startswith(group + "/"))),
        key=lambda p: p.id,
    )
    if not projects and not any(p.namespace.startswith(group) for p in context.index.scenario.gitlab_projects):
        raise HttpError(404, {"message": "404 Group Not Found"})
    return _page(request, projects, lambda p: project_payload(p, request.urls))


def list_pipelines(context: Context, request: Request, params: dict[str, str]) -> Response:
    project = _project(context, params)
    after, before = _instant(request, "updated_after"), _instant(request, "updated_before")
    source, ref, status = request.arg("source"), request.arg("ref"), request.arg("status")
    pipelines = [
        p for p in _of_project(context.index.scenario.pipelines, project)
        if (after is None or p.updated_at >= after) and (before is None or p.updated_at <= before)
        and (p.source == source if source else p.source != "parent_pipeline")
        and ref in (None, p.ref) and status in (None, p.status)
    ]
    ordered = _ordered(pipelines, request, ("id", "status", "ref", "updated_at", "user_id"))
    return _page(request, ordered, lambda p: pipeline_payload(p, project, request.urls))


def _pipeline(context: Context, project: GitLabProject, params: dict[str, str]) -> Pipeline:
    for pipeline in _of_project(context.index.scenario.pipelines, project):
        if str(pipeline.id) == params["pipeline_id"]:
            return pipeline
    raise HttpError(404, {"message": "404 Not found"})


def get_pipeline(context: Context, request: Request, params: dict[str, str]) -> Response:
    project = _project(context, params)
    return Response(200, pipeline_payload(_pipeline(context, project, params), project, request.urls, detail=True))


def list_pipeline_jobs(context: Context, request: Request, params: dict[str, str]) -> Response:
    project = _project(context, params)
    pipeline = _pipeline(context, project, params)
    newest_first = sorted(pipeline.jobs, key=lambda job: job.id, reverse=True)
    return _page(request, newest_first, lambda job: job_payload(job, pipeline, project, request.urls))


def list_deployments(context: Context, request: Request, params: dict[str, str]) -> Response:
    project = _project(context, params)
    after, before = _instant(request, "updated_after"), _instant(request, "updated_before")
    if (after or before) and request.arg("order_by") != "updated_at":
        raise _error(400, "`updated_at` filter requires `updated_at` sort")
    environment, status = request.arg("environment"), request.arg("status")
    deployments = [
        d for d in _of_project(context.index.scenario.gitlab_deployments, project)
        if (after is None or d.updated_at >= after) and (before is None or d.updated_at <= before)
        and environment in (None, d.environment) and status in (None, d.status)
    ]
    ordered = _ordered(deployments, request, ("id", "iid", "created_at", "updated_at", "finished_at", "ref"))
    return _page(request, ordered, lambda d: deployment_payload(d, project, request.urls))


# --- GraphQL -------------------------------------------------------------------------------

SDL = """
scalar Time
enum MergeRequestState { merged opened closed locked all }
enum MergeRequestSort { UPDATED_ASC UPDATED_DESC CREATED_ASC CREATED_DESC MERGED_AT_ASC MERGED_AT_DESC }

type Query { project(fullPath: ID!): Project }

type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }

type Project {
  id: ID!
  fullPath: ID!
  mergeRequests(state: MergeRequestState, updatedAfter: Time, updatedBefore: Time, mergedAfter: Time,
                mergedBefore: Time, targetBranches: [String!], sort: MergeRequestSort = CREATED_DESC,
                first: Int, after: String): MergeRequestConnection
}

type MergeRequestConnection { count: Int! pageInfo: PageInfo! nodes: [MergeRequest] }

type MergeRequestAuthor { username: String! name: String! }
type Label { title: String! }
type LabelConnection { nodes: [Label] }
type Commit { sha: String! authoredDate: Time committedDate: Time }
type CommitConnection { pageInfo: PageInfo! nodes: [Commit] }

type MergeRequest {
  id: ID!
  iid: String!
  title: String!
  state: MergeRequestState!
  createdAt: Time!
  updatedAt: Time!
  mergedAt: Time
  closedAt: Time
  targetBranch: String!
  sourceBranch: String!
  mergeCommitSha: String
  squashCommitSha: String
  webUrl: String
  author: MergeRequestAuthor
  labels(first: Int, after: String): LabelConnection
  commitsWithoutMergeCommits(first: Int, after: String): CommitConnection
}
"""
SCHEMA = build_schema(SDL)
MAX_PAGE = 100
SORT_KEYS = {"UPDATED": "updated_at", "CREATED": "created_at", "MERGED_AT": "merged_at"}


def _cursor(position: int) -> str:
    return base64.b64encode(json.dumps({"offset": position}).encode()).decode()


def _connection(items: list, render, first: int | None, after: str | None) -> dict:
    if first is not None and not 0 <= first <= MAX_PAGE:
        raise GraphQLError(f"first must be between 0 and {MAX_PAGE}")
    try:
        start = json.loads(base64.b64decode(after))["offset"] if after else 0
    except ValueError as error:
        raise GraphQLError("Invalid cursor") from error
    size = MAX_PAGE if first is None else first
    chunk = items[start : start + size]
    end = start + len(chunk)
    return {
        "count": len(items),
        "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                     "startCursor": _cursor(start) if chunk else None, "endCursor": _cursor(end) if chunk else None},
        "nodes": [render(item) for item in chunk],
    }


def _time(value: str | None) -> datetime | None:
    try:
        return parse_instant(value) if value else None
    except InvalidFilter as error:
        raise GraphQLError(str(error)) from error


def _merge_request_node(mr: MergeRequest, urls: Urls) -> dict:
    commits = sorted(mr.commits_authored_at, reverse=True)  # newest first, like GitLab
    return {
        "id": f"gid://gitlab/MergeRequest/{mr.id}", "iid": str(mr.iid), "title": mr.title, "state": mr.state,
        "createdAt": gl_time(mr.created_at), "updatedAt": gl_time(mr.updated_at), "mergedAt": gl_time(mr.merged_at),
        "closedAt": gl_time(mr.closed_at), "targetBranch": mr.target_branch, "sourceBranch": mr.source_branch,
        "mergeCommitSha": mr.merge_commit_sha, "squashCommitSha": mr.squash_commit_sha,
        "webUrl": f"{_web(mr.project, urls)}/-/merge_requests/{mr.iid}",
        "author": {"username": mr.author, "name": mr.author.title()} if mr.author else None,
        "labels": lambda info, first=None, after=None: _connection(
            sorted(mr.labels), lambda name: {"title": name}, first, after),
        "commitsWithoutMergeCommits": lambda info, first=None, after=None: _connection(
            commits, lambda at: {"sha": f"{mr.id:08x}{at:%Y%m%d%H%M%S}".ljust(40, "0"),
                                 "authoredDate": gl_time(at), "committedDate": gl_time(at)}, first, after),
    }


def _merge_requests(scenario: Scenario, project: GitLabProject, urls: Urls, args: dict) -> dict:
    updated_after, updated_before = _time(args.get("updatedAfter")), _time(args.get("updatedBefore"))
    merged_after, merged_before = _time(args.get("mergedAfter")), _time(args.get("mergedBefore"))
    state, targets = args.get("state"), args.get("targetBranches")
    found = [
        mr for mr in _of_project(scenario.merge_requests, project)
        if state in (None, "all", mr.state) and (not targets or mr.target_branch in targets)
        and (updated_after is None or mr.updated_at >= updated_after)
        and (updated_before is None or mr.updated_at <= updated_before)
        and (merged_after is None or (mr.merged_at and mr.merged_at >= merged_after))
        and (merged_before is None or (mr.merged_at and mr.merged_at <= merged_before))
    ]
    field, _, direction = args.get("sort", "CREATED_DESC").rpartition("_")
    key = SORT_KEYS[field]
    found.sort(key=lambda mr: (getattr(mr, key) or datetime.min.replace(tzinfo=timezone.utc), mr.id),
               reverse=direction == "DESC")
    return _connection(found, lambda mr: _merge_request_node(mr, urls), args.get("first"), args.get("after"))


def graphql(context: Context, request: Request, params: dict[str, str]) -> Response:
    try:
        body = json.loads(request.body or b"{}")
        document = parse(body["query"])
    except (ValueError, KeyError, TypeError, GraphQLError) as error:
        return Response(200, {"errors": [{"message": f"Invalid query: {error}"}]})
    errors = validate(SCHEMA, document)
    if errors:
        return Response(200, {"errors": [error.formatted for error in errors]})
    scenario = context.index.scenario

    def project(info, fullPath: str) -> dict | None:
        found = next((p for p in scenario.gitlab_projects if p.path_with_namespace == fullPath), None)
        if found is None:
            return None  # GitLab answers null for a project the token cannot see
        return {"id": f"gid://gitlab/Project/{found.id}", "fullPath": found.path_with_namespace,
                "mergeRequests": lambda info, **args: _merge_requests(scenario, found, request.urls, args)}

    result = execute(SCHEMA, document, root_value={"project": project}, variable_values=body.get("variables") or {})
    answer: dict = {"data": result.data}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    return Response(200, answer)


# --- the edge ------------------------------------------------------------------------------


def _authorized(scenario: Scenario, headers: Mapping[str, str]) -> bool:
    """PRIVATE-TOKEN header or Authorization: Bearer, as GitLab accepts."""
    bearer = headers.get("Authorization", "")
    token = headers.get("PRIVATE-TOKEN") or (bearer[len("Bearer "):] if bearer.startswith("Bearer ") else None)
    return token == scenario.gitlab_token


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "too_many_requests":
        seconds = max(int(fault.seconds), 0)
        reset = int(datetime.now(timezone.utc).timestamp()) + seconds
        return Response(429, b"Retry later\n", {
            "Content-Type": "text/plain", "Retry-After": str(seconds), "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": "2000", "RateLimit-Observed": "2001", "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": datetime.fromtimestamp(reset, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        })
    return Response(fault.status, {"message": "500 Internal Server Error"})


_PROJECT = r"/gitlab/api/v4/projects/(?P<project>[^/]+)"

EDGE = Edge(
    name="gitlab",
    prefix=PREFIX,
    routes=[
        route("POST", r"/gitlab/api/graphql", "graphql", graphql),
        route("GET", r"/gitlab/api/v4/groups/(?P<group>[^/]+)/projects", "group_projects", list_group_projects),
        route("GET", _PROJECT + r"/pipelines", "pipelines", list_pipelines),
        route("GET", _PROJECT + r"/pipelines/(?P<pipeline_id>\d+)", "pipeline", get_pipeline),
        route("GET", _PROJECT + r"/pipelines/(?P<pipeline_id>\d+)/jobs", "pipeline_jobs", list_pipeline_jobs),
        route("GET", _PROJECT + r"/deployments", "deployments", list_deployments),
    ],
    authorized=_authorized,
    unauthorized=Response(401, {"message": "401 Unauthorized"}),
    not_found=Response(404, {"error": "404 Not Found"}),
    fault_response=_fault_response,
)
