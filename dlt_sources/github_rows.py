"""The rows of the raw GitHub tables (docs/raw-tables.md): column hints, and API records shaped
into rows. Timestamps are aware UTC datetimes (parse_time), so cursors compare datetimes."""

from __future__ import annotations

from typing import Any

from dlt_sources.rows import login, parse_time, table_columns

PULL_REQUEST_COLUMNS = table_columns(
    id="bigint", repository_id="bigint", repository="text", number="bigint", title="text",
    author="text", labels="json", base_ref="text", head_ref="text", state="text",
    created_at="timestamp", updated_at="timestamp", closed_at="timestamp", merged_at="timestamp",
    merge_commit_sha="text", first_commit_at="timestamp", html_url="text", files="json",
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
    latest_status_state="text", latest_status_at="timestamp", latest_status_log_url="text", statuses="json",
)  # fmt: skip


def pull_request_row(node: dict[str, Any], repository: dict[str, Any]) -> dict[str, Any]:
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
        # changed paths, only for repositories a `paths` cell names (dora.core.changed_files)
        "files": [file["path"] for file in node["files"]["nodes"]] if "files" in node else None,
    }


def deployment_row(node: dict[str, Any], repository: dict[str, Any]) -> dict[str, Any]:
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
        "statuses": sorted(
            ({"state": s["state"].lower(), "created_at": s["createdAt"], "log_url": s["logUrl"]}
             for s in (node["statuses"] or {}).get("nodes") or []),
            key=lambda s: s["created_at"],
        ),
    }


def workflow_run_row(run: dict[str, Any]) -> dict[str, Any]:
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


def release_row(release: dict[str, Any], repo: str, repository_id: int) -> dict[str, Any]:
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
