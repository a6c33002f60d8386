"""The simulated GitHub issues list, `GET /repos/{owner}/{repo}/issues`, as GitHub serves it.

- Pull requests are issues too: the list shows each one with a `pull_request` key (its issue id
  is not its pull request id), and a merged pull request is a closed issue.
- `state` open (the default), closed or all; `since` keeps what was updated at or after it
  (ISO 8601); `sort` created (the default) or updated, `direction` desc (the default) or asc;
  `labels` a comma-separated list of names that must all be present. Sorting by comments is
  not simulated and is refused like an unknown value.
- A reopened issue is open again: `closed_at` null, `state_reason` reopened.

simorg.routes serves it: `matching` picks and orders the records, `payload` renders one.
"""

from __future__ import annotations

from dataclasses import dataclass

from simorg import payloads
from simorg.filters import InvalidFilter, parse_instant
from simorg.index import ScenarioIndex
from simorg.payloads import Urls, iso, node_id, repo_api
from simorg.scenario import Issue, PullRequest, Repo

PULL_REQUEST_ISSUE_IDS = 3_000_000_000  # a pull request's issue id: its id moved into a range of its own


@dataclass(frozen=True)
class Listed:
    """One item of the list: an issue, or a pull request shown as an issue."""

    record: Issue | PullRequest

    @property
    def is_pull_request(self) -> bool:
        return isinstance(self.record, PullRequest)

    @property
    def id(self) -> int:
        return self.record.id + PULL_REQUEST_ISSUE_IDS if self.is_pull_request else self.record.id

    @property
    def state(self) -> str:
        return "open" if self.record.state == "open" else "closed"


def matching(index: ScenarioIndex, repo: Repo, arg) -> list[Listed]:
    """The repository's issues and pull requests the query asks for, in its order; `arg(name)` reads
    a query parameter. An invalid value raises InvalidFilter."""
    state, sort, direction = arg("state") or "open", arg("sort") or "created", arg("direction") or "desc"
    if state not in ("open", "closed", "all") or sort not in ("created", "updated") or direction not in ("asc", "desc"):
        raise InvalidFilter("state must be open, closed or all; sort created or updated; direction asc or desc")
    since = parse_instant(arg("since")) if arg("since") else None
    labels = {name.strip() for name in (arg("labels") or "").split(",") if name.strip()}

    def select() -> list[Listed]:
        items = [Listed(record) for kind in ("issues", "pull_requests")
                 for record in index.sorted_records(kind, repo, "created_at", False)]
        kept = [
            item for item in items
            if (state == "all" or item.state == state)
            and (since is None or item.record.updated_at >= since)
            and labels <= set(item.record.labels)
        ]
        return sorted(kept, key=lambda item: (getattr(item.record, f"{sort}_at"), item.id), reverse=direction == "desc")

    return index.memo(("issues", repo.full_name, state, sort, direction, since, tuple(sorted(labels))), select)


def payload(item: Listed, repo: Repo, urls: Urls) -> dict:
    record = item.record
    api = f"{repo_api(repo.full_name, urls)}/issues/{record.number}"
    html = f"{urls.web}/{repo.full_name}/{'pull' if item.is_pull_request else 'issues'}/{record.number}"
    rendered = {
        "url": api,
        "repository_url": repo_api(repo.full_name, urls),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": html,
        "id": item.id,
        "node_id": node_id("I_", item.id),
        "number": record.number,
        "title": record.title,
        "user": payloads.user(record.author, urls),
        "labels": [payloads.label(name, repo, urls) for name in record.labels],
        "state": item.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "closed_at": iso(record.closed_at),
        "author_association": "MEMBER",
        "active_lock_reason": None,
        "body": None,
        "reactions": {"url": f"{api}/reactions", "total_count": 0},
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": None,
        "state_reason": _state_reason(record),
    }
    if item.is_pull_request:
        pull = f"{repo_api(repo.full_name, urls)}/pulls/{record.number}"
        rendered["draft"] = False
        rendered["pull_request"] = {"url": pull, "html_url": html, "diff_url": f"{html}.diff",
                                    "patch_url": f"{html}.patch", "merged_at": iso(record.merged_at)}
    return rendered


def _state_reason(record: Issue | PullRequest) -> str | None:
    if isinstance(record, Issue):
        return record.state_reason
    return "completed" if record.closed_at is not None else None
