"""The simulated organisation's data: plain records the fake GitHub and PagerDuty serve.

A scenario is written by hand in tests (so expected metrics can be worked out on paper) or made
by `simorg.generate` at any size. The server renders these records in the real API payload
shapes; tests mutate a scenario between pipeline runs (add, update, delete records) to exercise
incremental extraction and durable history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class PullRequest:
    repo: str  # "owner/name"
    number: int
    id: int
    title: str
    author: str | None  # None: a deleted user (GitHub shows "ghost")
    created_at: datetime
    updated_at: datetime
    first_commit_at: datetime | None
    base_ref: str = "main"
    head_ref: str = "feature"
    labels: list[str] = field(default_factory=list)
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merge_commit_sha: str | None = None

    @property
    def state(self) -> str:
        """GraphQL PullRequestState, lower-cased: merged, closed or open."""
        if self.merged_at is not None:
            return "merged"
        return "closed" if self.closed_at is not None else "open"


@dataclass
class WorkflowRun:
    repo: str
    id: int
    workflow_id: int
    workflow_name: str
    head_branch: str
    head_sha: str
    event: str
    status: str  # queued, in_progress, completed
    conclusion: str | None  # success, failure, cancelled, ... None while not completed
    created_at: datetime
    run_started_at: datetime
    updated_at: datetime
    actor: str | None
    run_attempt: int = 1


@dataclass
class Release:
    repo: str
    id: int
    tag_name: str
    target_commitish: str
    name: str
    created_at: datetime
    published_at: datetime | None
    author: str | None
    draft: bool = False
    prerelease: bool = False


@dataclass
class DeploymentStatus:
    id: int
    state: str  # error, failure, inactive, in_progress, queued, pending, success
    created_at: datetime
    log_url: str | None = None


@dataclass
class Deployment:
    repo: str
    id: int
    sha: str
    ref: str
    environment: str
    created_at: datetime
    creator: str | None
    task: str = "deploy"
    statuses: list[DeploymentStatus] = field(default_factory=list)  # oldest first

    @property
    def updated_at(self) -> datetime:
        return max([self.created_at, *(s.created_at for s in self.statuses)])


@dataclass
class PagerDutyService:
    id: str
    name: str
    teams: list[str] = field(default_factory=list)
    description: str = ""
    status: str = "active"
    created_at: datetime | None = None


@dataclass
class Incident:
    id: str
    incident_number: int
    title: str
    service_id: str
    created_at: datetime
    updated_at: datetime
    urgency: str = "high"
    priority: str | None = None  # priority summary, e.g. "P1"
    status: str = "triggered"  # triggered, acknowledged, resolved
    resolved_at: datetime | None = None
    teams: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    """Everything the simulated org knows. Lists are the source of truth; the server reads them
    on every request, so a test may change them between runs."""

    repos: list[Repo] = field(default_factory=list)
    pull_requests: list[PullRequest] = field(default_factory=list)
    workflow_runs: list[WorkflowRun] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    pagerduty_services: list[PagerDutyService] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    github_token: str = "ghp_simulated_token"
    pagerduty_token: str = "pd_simulated_token"

    def repo(self, full_name: str) -> Repo:
        return next(r for r in self.repos if r.full_name == full_name)

    def service(self, service_id: str) -> PagerDutyService:
        return next(s for s in self.pagerduty_services if s.id == service_id)
