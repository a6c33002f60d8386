"""Render scenario records in the real GitHub REST and PagerDuty payload shapes.

Keys and nesting follow the real examples in shared/api-examples (OpenAPI examples from
GitHub, PagerDuty reference payloads). Fields a DORA pipeline reads carry the record's values;
the rest carry plausible constants so a client that reads a neighbouring field does not break.
URLs point back at the simulated server (GitHub Enterprise Server layout: web at the host
root, REST under /api/v3), so an `html_url` or `url` can be followed.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    Incident,
    PagerDutyService,
    PullRequest,
    Release,
    Repo,
    WorkflowRun,
)

GHOST = "ghost"  # GitHub shows a deleted user as the "ghost" account in REST payloads


@dataclass(frozen=True)
class Urls:
    """Where the simulated server lives, from the request's Host header."""

    host: str  # "http://127.0.0.1:PORT"

    @property
    def web(self) -> str:
        return self.host

    @property
    def api(self) -> str:
        return f"{self.host}/api/v3"

    @property
    def pagerduty(self) -> str:
        return f"{self.host}/pagerduty"


def iso(value: datetime | None) -> str | None:
    """GitHub and PagerDuty write UTC instants as 2024-01-31T12:00:00Z."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_int(text: str, modulo: int = 10**8) -> int:
    """A small positive id derived from a name, identical on every run."""
    return zlib.crc32(text.encode()) % modulo + 1


def node_id(prefix: str, key: object) -> str:
    return prefix + base64.b64encode(str(key).encode()).decode().rstrip("=")


def fake_sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def user(login: str | None, urls: Urls) -> dict:
    login = login or GHOST
    uid = 10137 if login == GHOST else stable_int(login)
    api = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("U_", uid),
        "avatar_url": f"{urls.web}/avatars/{login}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.web}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
    }


def repo_api(repo_full_name: str, urls: Urls) -> str:
    return f"{urls.api}/repos/{repo_full_name}"


def repository_minimal(repo: Repo, urls: Urls) -> dict:
    """The `repository` object embedded in workflow runs and pull requests."""
    api = repo_api(repo.full_name, urls)
    payload = {
        "id": repo.id,
        "node_id": node_id("R_", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(repo.owner, urls) | {"type": "Organization"},
        "private": True,
        "html_url": f"{urls.web}/{repo.full_name}",
        "description": f"The {repo.name} service.",
        "fork": False,
        "url": api,
    }
    for name, suffix in [
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        ("notifications_url", "/notifications{?since,all,participating}"),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
        ("hooks_url", "/hooks"),
    ]:
        payload[name] = api + suffix
    payload["git_url"] = f"git:{urls.host.split('//', 1)[-1]}/{repo.full_name}.git"
    payload["ssh_url"] = f"git@simorg:{repo.full_name}.git"
    return payload


def repository_full(repo: Repo, urls: Urls) -> dict:
    """A repository as listed by GET /orgs/{org}/repos."""
    return repository_minimal(repo, urls) | {
        "clone_url": f"{urls.web}/{repo.full_name}.git",
        "mirror_url": None,
        "svn_url": f"{urls.web}/{repo.full_name}",
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 1024,
        "default_branch": repo.default_branch,
        "open_issues_count": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "archived": False,
        "disabled": False,
        "visibility": "private",
        "pushed_at": None,
        "created_at": None,
        "updated_at": None,
        "permissions": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
    }


def workflow_run(run: WorkflowRun, repo: Repo, urls: Urls) -> dict:
    api = f"{repo_api(repo.full_name, urls)}/actions/runs/{run.id}"
    workflow_file = run.workflow_name.lower().replace(" ", "-")
    return {
        "id": run.id,
        "name": run.workflow_name,
        "node_id": node_id("WFR_", run.id),
        "check_suite_id": run.id * 10,
        "check_suite_node_id": node_id("CS_", run.id * 10),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": f".github/workflows/{workflow_file}.yml@{repo.default_branch}",
        "run_number": run.id % 100000,
        "event": run.event,
        "display_title": f"{run.workflow_name} on {run.head_branch}",
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "url": api,
        "html_url": f"{urls.web}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "actor": user(run.actor, urls),
        "run_attempt": run.run_attempt,
        "run_started_at": iso(run.run_started_at),
        "triggering_actor": user(run.actor, urls),
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "check_suite_url": f"{repo_api(repo.full_name, urls)}/check-suites/{run.id * 10}",
        "artifacts_url": f"{api}/artifacts",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "workflow_url": f"{repo_api(repo.full_name, urls)}/actions/workflows/{run.workflow_id}",
        "head_commit": {
            "id": run.head_sha,
            "tree_id": fake_sha("tree" + run.head_sha),
            "message": f"Commit {run.head_sha[:7]}",
            "timestamp": iso(run.created_at),
            "author": {"name": run.actor or GHOST, "email": f"{run.actor or GHOST}@example.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repository_minimal(repo, urls),
        "head_repository": repository_minimal(repo, urls),
    }


def release(rel: Release, repo: Repo, urls: Urls) -> dict:
    api = f"{repo_api(repo.full_name, urls)}/releases/{rel.id}"
    return {
        "url": api,
        "html_url": f"{urls.web}/{repo.full_name}/releases/{rel.tag_name}",
        "assets_url": f"{api}/assets",
        "upload_url": f"{urls.api}/uploads/repos/{repo.full_name}/releases/{rel.id}/assets{{?name,label}}",
        "tarball_url": f"{repo_api(repo.full_name, urls)}/tarball/{rel.tag_name}",
        "zipball_url": f"{repo_api(repo.full_name, urls)}/zipball/{rel.tag_name}",
        "id": rel.id,
        "node_id": node_id("RE_", rel.id),
        "tag_name": rel.tag_name,
        "target_commitish": rel.target_commitish,
        "name": rel.name,
        "body": f"Release {rel.tag_name}",
        "draft": rel.draft,
        "prerelease": rel.prerelease,
        "immutable": False,
        "created_at": iso(rel.created_at),
        "published_at": iso(rel.published_at),
        "author": user(rel.author, urls),
        "assets": [],
    }


def label(name: str, repo: Repo, urls: Urls) -> dict:
    return {
        "id": stable_int(f"{repo.full_name}:{name}"),
        "node_id": node_id("LA_", f"{repo.id}:{name}"),
        "url": f"{repo_api(repo.full_name, urls)}/labels/{name}",
        "name": name,
        "description": None,
        "color": fake_sha(name)[:6],
        "default": False,
    }


def pr_head_sha(pr: PullRequest) -> str:
    return fake_sha(f"{pr.repo}#{pr.number}:head")


def pull_request(pr: PullRequest, repo: Repo, urls: Urls) -> dict:
    api = f"{repo_api(repo.full_name, urls)}/pulls/{pr.number}"
    html = f"{urls.web}/{repo.full_name}/pull/{pr.number}"
    issue = f"{repo_api(repo.full_name, urls)}/issues/{pr.number}"
    head_sha = pr_head_sha(pr)

    def branch(ref: str, sha: str) -> dict:
        return {
            "label": f"{repo.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": user(repo.owner, urls),
            "repo": repository_full(repo, urls),
        }

    return {
        "url": api,
        "id": pr.id,
        "node_id": node_id("PR_", pr.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{repo_api(repo.full_name, urls)}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{repo_api(repo.full_name, urls)}/statuses/{head_sha}",
        "number": pr.number,
        "state": "open" if pr.state == "open" else "closed",
        "locked": False,
        "title": pr.title,
        "user": user(pr.author, urls),
        "body": None,
        "labels": [label(name, repo, urls) for name in pr.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(pr.created_at),
        "updated_at": iso(pr.updated_at),
        "closed_at": iso(pr.closed_at),
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": branch(pr.head_ref, head_sha),
        "base": branch(pr.base_ref, fake_sha(f"{pr.repo}#{pr.number}:base")),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": f"{repo_api(repo.full_name, urls)}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": f"{repo_api(repo.full_name, urls)}/statuses/{head_sha}"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": False,
    }


def deployment(dep: Deployment, repo: Repo, urls: Urls) -> dict:
    api = f"{repo_api(repo.full_name, urls)}/deployments/{dep.id}"
    return {
        "url": api,
        "id": dep.id,
        "node_id": node_id("DE_", dep.id),
        "sha": dep.sha,
        "ref": dep.ref,
        "task": dep.task,
        "payload": {},
        "original_environment": dep.environment,
        "environment": dep.environment,
        "description": f"Deploy {dep.sha[:7]} to {dep.environment}",
        "creator": user(dep.creator, urls),
        "created_at": iso(dep.created_at),
        "updated_at": iso(dep.updated_at),
        "statuses_url": f"{api}/statuses",
        "repository_url": repo_api(repo.full_name, urls),
        "transient_environment": False,
        "production_environment": dep.environment == "production",
    }


def deployment_status(status: DeploymentStatus, dep: Deployment, repo: Repo, urls: Urls) -> dict:
    dep_api = f"{repo_api(repo.full_name, urls)}/deployments/{dep.id}"
    return {
        "url": f"{dep_api}/statuses/{status.id}",
        "id": status.id,
        "node_id": node_id("DES_", status.id),
        "state": status.state,
        "creator": user(dep.creator, urls),
        "description": f"Deployment {status.state}.",
        "environment": dep.environment,
        "target_url": status.log_url or "",
        "created_at": iso(status.created_at),
        "updated_at": iso(status.created_at),
        "deployment_url": dep_api,
        "repository_url": repo_api(repo.full_name, urls),
        "environment_url": "",
        "log_url": status.log_url or "",
    }


def rate_limit(resources: dict[str, dict]) -> dict:
    """GET /rate_limit. `rate` mirrors `core`; GitHub drops it in API version 2026-03-10."""
    return {"resources": resources, "rate": resources["core"]}


# --- PagerDuty ---------------------------------------------------------------------------


def pd_id(kind: str, name: str) -> str:
    """PagerDuty ids look like PQ9K7I8: P followed by 6 upper-case letters and digits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    number = zlib.crc32(f"{kind}:{name}".encode())
    chars = []
    for _ in range(6):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return "P" + "".join(chars)


def pd_reference(kind: str, ident: str, summary: str, urls: Urls, html_path: str | None) -> dict:
    plural = {"service": "services", "team": "teams", "escalation_policy": "escalation_policies"}[kind]
    ref = {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{urls.pagerduty}/{plural}/{ident}",
    }
    if html_path is not None:
        ref["html_url"] = f"https://simorg.pagerduty.com/{html_path}/{ident}"
    return ref


def pd_team(name: str, urls: Urls) -> dict:
    return pd_reference("team", pd_id("team", name), name, urls, "teams")


ESCALATION_POLICY = "Default escalation policy"


def incident(inc: Incident, service: PagerDutyService | None, urls: Urls) -> dict:
    service_name = service.name if service else inc.service_id
    last_change = inc.resolved_at or inc.updated_at
    return {
        "id": inc.id,
        "type": "incident",
        "summary": f"[#{inc.incident_number}] {inc.title}",
        "self": f"{urls.pagerduty}/incidents/{inc.id}",
        "html_url": f"https://simorg.pagerduty.com/incidents/{inc.id}",
        "incident_number": inc.incident_number,
        "title": inc.title,
        "created_at": iso(inc.created_at),
        "updated_at": iso(inc.updated_at),
        "status": inc.status,
        "incident_key": fake_sha(inc.id)[:32],
        "service": pd_reference("service", inc.service_id, service_name, urls, "service-directory"),
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": iso(last_change),
        "resolved_at": iso(inc.resolved_at),
        "first_trigger_log_entry": {
            "id": "Q" + fake_sha(inc.id)[:13].upper(),
            "type": "trigger_log_entry_reference",
            "summary": "Triggered through the API",
            "self": f"{urls.pagerduty}/log_entries/Q{fake_sha(inc.id)[:13].upper()}?incident_id={inc.id}",
            "html_url": f"https://simorg.pagerduty.com/incidents/{inc.id}/log_entries",
        },
        "alert_counts": {
            "all": 1,
            "triggered": 0 if inc.status == "resolved" else 1,
            "resolved": 1 if inc.status == "resolved" else 0,
        },
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": pd_reference(
            "escalation_policy", pd_id("escalation_policy", ESCALATION_POLICY), ESCALATION_POLICY, urls,
            "escalation_policies",
        ),
        "teams": [pd_team(name, urls) for name in inc.teams],
        "pending_actions": [],
        "acknowledgements": [],
        "alert_grouping": None,
        "last_status_change_by": None,
        "priority": None if inc.priority is None else {
            "id": pd_id("priority", inc.priority),
            "type": "priority_reference",
            "summary": inc.priority,
            "self": f"{urls.pagerduty}/priorities/{pd_id('priority', inc.priority)}",
        },
        "resolve_reason": None,
        "conference_bridge": None,
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": inc.urgency,
    }


def service(svc: PagerDutyService, urls: Urls) -> dict:
    return {
        "id": svc.id,
        "summary": svc.name,
        "type": "service",
        "self": f"{urls.pagerduty}/services/{svc.id}",
        "html_url": f"https://simorg.pagerduty.com/service-directory/{svc.id}",
        "name": svc.name,
        "description": svc.description,
        "auto_resolve_timeout": 14400,
        "acknowledgement_timeout": 600,
        "created_at": iso(svc.created_at),
        "status": svc.status,
        "alert_creation": "create_alerts_and_incidents",
        "alert_grouping_parameters": {"type": "intelligent"},
        "integrations": [],
        "escalation_policy": pd_reference(
            "escalation_policy", pd_id("escalation_policy", ESCALATION_POLICY), ESCALATION_POLICY, urls,
            "escalation_policies",
        ),
        "teams": [pd_team(name, urls) for name in svc.teams],
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        "support_hours": None,
        "scheduled_actions": [],
        "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
    }
