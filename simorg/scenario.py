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
    files: list[str] | None = None  # changed paths; None: simorg.graphql_api.pr_files makes some up

    @property
    def state(self) -> str:
        """GraphQL PullRequestState, lower-cased: merged, closed or open."""
        if self.merged_at is not None:
            return "merged"
        return "closed" if self.closed_at is not None else "open"


@dataclass
class Issue:
    """A GitHub issue (served by simorg.issues_api; the issues list also shows pull requests)."""

    repo: str  # "owner/name"
    number: int  # shares the repository's sequence with pull requests
    id: int
    title: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    closed_at: datetime | None = None  # None while open (a reopened issue has none)
    state_reason: str | None = None  # completed, not_planned, reopened; None for an issue never closed

    @property
    def state(self) -> str:
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
    issues: list[Issue] = field(default_factory=list)
    github_token: str = "ghp_simulated_token"
    pagerduty_token: str = "pd_simulated_token"
    # GitLab and Jira (record types below)
    gitlab_projects: list[GitLabProject] = field(default_factory=list)
    merge_requests: list[MergeRequest] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)
    gitlab_deployments: list[GitLabDeployment] = field(default_factory=list)
    jira_issues: list[JiraIssue] = field(default_factory=list)
    gitlab_token: str = "glpat-simulated-token"
    jira_email: str = "bot@example.com"
    jira_token: str = "jira-simulated-token"  # Cloud API token; also accepted as a Data Center PAT

    def repo(self, full_name: str) -> Repo:
        return next(r for r in self.repos if r.full_name == full_name)

    def service(self, service_id: str) -> PagerDutyService:
        return next(s for s in self.pagerduty_services if s.id == service_id)


# --- GitLab and Jira (served by simorg.gitlab_api and simorg.jira_api) ---------------------


@dataclass
class GitLabProject:
    id: int
    path_with_namespace: str  # "group/subgroup/name"
    default_branch: str = "main"

    @property
    def namespace(self) -> str:
        return self.path_with_namespace.rsplit("/", 1)[0]


@dataclass
class MergeRequest:
    project: str  # path_with_namespace
    id: int  # global id
    iid: int  # number within the project
    title: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    commits_authored_at: list[datetime] = field(default_factory=list)  # the MR's commits, any order
    target_branch: str = "main"
    source_branch: str = "feature"
    labels: list[str] = field(default_factory=list)
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merge_commit_sha: str | None = None  # null for a squash or fast-forward merge without merge commit
    squash_commit_sha: str | None = None

    @property
    def state(self) -> str:
        """GitLab MergeRequestState: merged, closed or opened."""
        if self.merged_at is not None:
            return "merged"
        return "closed" if self.closed_at is not None else "opened"


@dataclass
class GitLabJob:
    id: int
    name: str
    stage: str
    status: str  # created, pending, running, success, failed, canceled, skipped, manual
    allow_failure: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass
class Pipeline:
    project: str
    id: int
    iid: int
    ref: str
    sha: str
    source: str  # push, web, schedule, api, merge_request_event, parent_pipeline, pipeline, ...
    status: str  # created, pending, running, success, failed, canceled, skipped, manual
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    name: str | None = None
    user: str | None = None
    jobs: list[GitLabJob] = field(default_factory=list)


@dataclass
class GitLabDeployment:
    project: str
    id: int
    iid: int
    environment: str
    status: str  # created, running, success, failed, canceled, blocked
    sha: str
    ref: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None  # the deployable job's finished_at
    user: str | None = None


@dataclass
class JiraTransition:
    """One status change in an issue's changelog."""

    id: int
    at: datetime
    from_status: str
    to_status: str


@dataclass
class JiraIssue:
    id: int
    key: str  # "OPS-12"
    summary: str
    issue_type: str  # Bug, Incident, Story, ...
    status: str
    status_category: str  # new, indeterminate, done
    created: datetime
    updated: datetime
    resolutiondate: datetime | None = None
    status_category_changed: datetime | None = None
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    transitions: list[JiraTransition] = field(default_factory=list)  # oldest first

    @property
    def project(self) -> str:
        return self.key.split("-", 1)[0]
