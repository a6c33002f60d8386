"""The rows of the raw GitLab tables (docs/raw-tables.md): column hints, and API records shaped
into rows (timestamps as aware UTC datetimes)."""

from __future__ import annotations

from typing import Any, Optional

from dlt_sources.rows import parse_time, table_columns

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


def _gid(global_id: str) -> int:
    """`gid://gitlab/MergeRequest/123` -> 123 (the REST id)."""
    return int(global_id.rsplit("/", 1)[1])


def _username(user: Optional[dict[str, Any]]) -> Optional[str]:
    return user.get("username") if user else None


def merge_request_row(node: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
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


def pipeline_row(pipeline: dict[str, Any], project: str) -> dict[str, Any]:
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


def job_row(job: dict[str, Any], project: str) -> dict[str, Any]:
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


def deployment_row(deployment: dict[str, Any], project: str) -> dict[str, Any]:
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
