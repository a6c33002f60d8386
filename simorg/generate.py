"""A realistic simulated org at any size, deterministic for a given seed.

`generate_scenario(now, ...)` builds teams that each own one product ("checkout", "payments",
"search", ...), the product's repositories under one GitHub org and one PagerDuty service.
Over `months` before `now`, for every repository:

- pull requests arrive at `prs_per_repo_per_week` (Poisson); the first commit comes hours to
  days before the PR opens; most PRs merge into main (hours to days later), some are closed
  unmerged, recent ones may still be open; labels and authors come from the owning team;
- a "ci" workflow runs on the PR branch when it opens (event pull_request), and a "deploy"
  workflow runs on main a few minutes after each merge (event push, on the merge commit):
  mostly success, `deploy_failure_rate` failures, some of which were re-run (run_attempt 2);
  runs of the last few minutes are still in progress;
- every third repository also records GitHub Deployments (staging, then production ~30 min
  later, each with queued/in_progress/final statuses); another third publishes GitHub Releases
  (v1.N tags, a few pre-releases, the newest one a draft);
- each service has incidents at `incidents_per_service_per_month`; `incident_after_deploy_share`
  of them start 10-120 min after one of the team's deploy runs (so change failure rate and time
  to restore have something to find); they resolve minutes to hours later, and the two newest
  incidents of the org are still open.

`gitlab_teams` more teams (named after the GitHub ones) keep their product in GitLab instead,
`repos_per_team` projects in the group `owner/product`, `MRS_PER_PROJECT_PER_WEEK` each:
merge requests (some squash-merged) with their commits; after each merge a push pipeline on
main (build, test, deploy-production making a GitLab deployment to production, and a `smoke`
job allowed to fail; failed deploy jobs sometimes retried; a quarter trigger a child pipeline).
They have no PagerDuty service: with `jira_incidents`, their incidents (same rates as above)
are Jira issues in the project OPS, component = product, priority and labels, Open -> In
Progress -> Resolved (the newest still open), plus postmortem Tasks. These records come after
all the others, from their own random stream, so turning the knobs on changes no other record.

Knobs: teams, repos_per_team, months, prs_per_repo_per_week, deploy_failure_rate,
incidents_per_service_per_month, incident_after_deploy_share, with_ci_runs (False halves the
records for PR-heavy benchmarks), owner, gitlab_teams, jira_incidents, rework (reverts, hotfixes
and GitHub issues: simorg.rework). Work is linear in the
number of records (one sort per repository). The benchmark size, teams=10, repos_per_team=10, months=36,
prs_per_repo_per_week=64, with_ci_runs=False, gives 1.0 M PRs, 0.86 M deploy runs, 0.53 M deployments, ~740
incidents in about a minute and 1.9 GB of memory (measured on the 2-core CI box); serve it with
SimulatedOrg(..., frozen=True) so it is indexed once. Ids fit GraphQL's 32-bit Int (databaseId).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import count

from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    GitLabDeployment,
    GitLabJob,
    GitLabProject,
    Incident,
    JiraIssue,
    JiraTransition,
    MergeRequest,
    PagerDutyService,
    Pipeline,
    PullRequest,
    Release,
    Repo,
    Scenario,
    WorkflowRun,
)

PRODUCTS = ["checkout", "payments", "search", "catalog", "accounts", "notifications", "inventory",
            "shipping", "reviews", "recommendations", "billing", "identity"]
TEAM_NAMES = ["Storefront", "Payments", "Discovery", "Catalog", "Identity", "Messaging", "Supply",
              "Logistics", "Community", "Personalisation", "Finance", "Security"]
REPO_KINDS = ["api", "web", "worker", "mobile", "infra", "lib", "jobs", "gateway", "admin", "sdk"]
PEOPLE = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
          "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "uma", "victor", "wendy", "xavier",
          "yasmin", "zoe", "quentin"]
VERBS = ["Add", "Fix", "Refactor", "Speed up", "Remove", "Document", "Harden", "Simplify"]
THINGS = ["cart totals", "retry logic", "login flow", "search ranking", "price cache", "webhook handler",
          "feature flag", "database index", "error page", "rate limiter", "CSV export", "tax rules"]
LABELS = ["feature", "bug", "chore", "dependencies", "docs", "hotfix"]
SYMPTOMS = ["error rate above 5%", "p99 latency over SLO", "5xx spike", "queue backlog growing",
            "health check failing", "elevated timeouts"]

WEEK = timedelta(days=7)
DAYS_PER_MONTH = 30.44
PR_ID_BASE, RUN_ID_BASE, DEPLOYMENT_ID_BASE = 100_000_000, 5_000_000_000, 300_000_000
STATUS_ID_BASE, RELEASE_ID_BASE, REPO_ID_BASE = 600_000_000, 900_000_000, 700_000
MR_ID_BASE, PIPELINE_ID_BASE, JOB_ID_BASE = 200_000_000, 1_100_000_000, 7_000_000_000
GITLAB_DEPLOYMENT_ID_BASE, JIRA_ISSUE_ID_BASE, GITLAB_PROJECT_ID_BASE = 400_000_000, 10_000, 40_000
JIRA_PROJECT = "OPS"
MRS_PER_PROJECT_PER_WEEK = 2.0  # GitLab teams are kept small: the demo must stay fast


def _hours(rng: random.Random, median: float, spread: float = 1.0) -> timedelta:
    """A log-normal duration: most near the median, a long tail (like real review times)."""
    return timedelta(seconds=int(3600 * median * rng.lognormvariate(0, spread)))


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    """A uniform duration in whole seconds (GitHub and PagerDuty times have second precision)."""
    return timedelta(seconds=int(60 * rng.uniform(low, high)))


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _pd_id(number: int) -> str:
    """PagerDuty-looking ids (P + 6 characters), unique per number."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    chars = []
    for _ in range(6):
        number, digit = divmod(number, 36)
        chars.append(alphabet[digit])
    return "P" + "".join(reversed(chars))


def _team(t: int) -> tuple[str, str, list[str]]:
    """(team, product, people) of the t-th team; past the name lists names repeat with -2, -3, ..."""
    cycle = "" if t < len(TEAM_NAMES) else f"-{t // len(TEAM_NAMES) + 1}"
    people = [f"{PEOPLE[(t * 5 + i) % len(PEOPLE)]}{cycle}" for i in range(5)]
    return TEAM_NAMES[t % len(TEAM_NAMES)] + cycle, PRODUCTS[t % len(PRODUCTS)] + cycle, people


def team_of(product: str) -> str:
    """The team that owns a generated product ("catalog-2" -> "Catalog-2"): GitLab projects and
    Jira issues name only the product, and `dora demo` maps the product to its team."""
    base, _, cycle = product.partition("-")
    return TEAM_NAMES[PRODUCTS.index(base)] + (f"-{cycle}" if cycle else "")


def _repo_kind(r: int) -> str:
    return REPO_KINDS[r % len(REPO_KINDS)] + ("" if r < len(REPO_KINDS) else str(r // len(REPO_KINDS)))


class _Ids:
    """Sequential ids per kind, so records are unique and stable for a seed."""

    def __init__(self) -> None:
        self.next = {"pr": PR_ID_BASE, "run": RUN_ID_BASE, "deployment": DEPLOYMENT_ID_BASE,
                     "status": STATUS_ID_BASE, "release": RELEASE_ID_BASE, "mr": MR_ID_BASE,
                     "pipeline": PIPELINE_ID_BASE, "job": JOB_ID_BASE, "gitlab_deployment": GITLAB_DEPLOYMENT_ID_BASE}

    def __call__(self, kind: str) -> int:
        self.next[kind] += 1
        return self.next[kind]


def generate_scenario(
    now: datetime,
    *,
    seed: int = 7,
    teams: int = 3,
    repos_per_team: int = 2,
    months: int = 6,
    prs_per_repo_per_week: float = 8.0,
    deploy_failure_rate: float = 0.1,
    incidents_per_service_per_month: float = 2.0,
    incident_after_deploy_share: float = 0.5,
    with_ci_runs: bool = True,
    owner: str = "acme",
    gitlab_teams: int = 0,
    jira_incidents: bool = False,
    rework: bool = False,
) -> Scenario:
    rng = random.Random(seed)
    ids = _Ids()
    now = now.replace(microsecond=0)
    start = (now - timedelta(days=DAYS_PER_MONTH * months)).replace(microsecond=0)
    scenario = Scenario()
    for t in range(teams):
        team, product, people = _team(t)
        service = PagerDutyService(_pd_id(36**5 + t), product, [team], f"The {product} product.", "active", start)
        scenario.pagerduty_services.append(service)
        deploy_times: list[datetime] = []
        for r in range(repos_per_team):
            repo = Repo(owner, f"{product}-{_repo_kind(r)}", REPO_ID_BASE + t * 1000 + r)
            scenario.repos.append(repo)
            style = len(scenario.repos) % 3  # 1: GitHub Deployments, 2: Releases, 0: workflow runs only
            merges = _pull_requests(rng, ids, scenario, repo, people, start, now, prs_per_repo_per_week,
                                    with_ci_runs)
            for merged_at, sha, author in merges:
                deployed = _deploy_run(rng, ids, scenario, repo, merged_at, sha, author, now, deploy_failure_rate)
                if deployed is not None:
                    deploy_times.append(deployed)
                    if style == 1:
                        _deployments(rng, ids, scenario, repo, deployed, sha, author, now)
            if style == 2:
                _releases(rng, ids, scenario, repo, merges, people)
        deploy_times.sort()
        _incidents(rng, scenario, service, team, deploy_times, start, now, incidents_per_service_per_month,
                   incident_after_deploy_share)
    _leave_newest_incidents_open(scenario, now)
    # GitLab teams come last, drawn from their own random stream: the records above stay the same.
    gitlab_rng = random.Random(f"{seed}/gitlab")
    jira_incident_times: list[tuple[str, list[tuple[datetime, datetime | None]]]] = []
    for g in range(gitlab_teams):
        product, deploy_times = _gitlab_team(gitlab_rng, ids, scenario, teams + g, owner, repos_per_team, start,
                                             now, deploy_failure_rate)
        if jira_incidents:
            times = sorted(_incident_times(gitlab_rng, deploy_times, start, now, incidents_per_service_per_month,
                                           incident_after_deploy_share))
            if times:
                times[-1] = (times[-1][0], None)  # the newest is still being worked on
            jira_incident_times.append((product, times))
    scenario.jira_issues = _jira_issues(gitlab_rng, jira_incident_times, now)
    if rework:  # last, from its own random stream too; imported here: simorg.rework builds on this module
        from simorg.rework import add_rework_and_issues

        add_rework_and_issues(random.Random(f"{seed}/rework"), ids, scenario, start, now, deploy_failure_rate)
    return scenario


def demo_scenario(now: datetime) -> Scenario:
    """The `dora demo` org: 3 GitHub teams, 6 repos, 6 months (~1,250 PRs, ~2,300 workflow runs,
    ~50 PagerDuty incidents), and one GitLab team (2 projects, ~100 MRs, ~95 pipelines, ~85
    deployments) whose ~11 incidents are Jira issues, and reverts, hotfixes and GitHub issues
    (simorg.rework): enough for weekly DORA charts, extracted in a few seconds."""
    return generate_scenario(now, gitlab_teams=1, jira_incidents=True, rework=True)


def _pull_requests(rng, ids, scenario, repo, people, start, now, per_week, with_ci_runs):
    """Append the repo's PRs (and their CI runs); return (merged_at, merge sha, author) of merges."""
    merges = []
    for number, created in enumerate(_arrivals(rng, start, now, per_week), start=1):
        author = rng.choice(people) if rng.random() > 0.01 else None  # 1%: a since-deleted account
        first_commit = None if rng.random() < 0.005 else created - _hours(rng, 6, 1.2)
        merged_at, closed_at = _outcome(rng, created, now)
        last_change = merged_at or closed_at or created
        labels = _labels(rng)
        pr = PullRequest(
            repo=repo.full_name, number=number, id=ids("pr"),
            title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}", author=author,
            created_at=created, updated_at=min(last_change + timedelta(minutes=rng.randint(0, 30)), now),
            first_commit_at=first_commit, base_ref=repo.default_branch,
            head_ref=f"{author or 'ghost'}/change-{number}", labels=labels,
            merged_at=merged_at, closed_at=merged_at or closed_at,
            merge_commit_sha=_sha(rng) if merged_at else None,
        )
        scenario.pull_requests.append(pr)
        if with_ci_runs:
            _run(rng, ids, scenario, repo, "ci", 1, pr.head_ref, _sha(rng), "pull_request", created, author, now,
                 failure_rate=0.12)
        if merged_at:
            merges.append((merged_at, pr.merge_commit_sha, author))
    return merges


def _arrivals(rng, start, now, per_week) -> list[datetime]:
    """When a repository's changes were opened: a Poisson count over the span, sorted."""
    weeks = (now - start) / WEEK
    count = max(int(rng.gauss(per_week * weeks, (per_week * weeks) ** 0.5)), 0)
    span = (now - start).total_seconds()
    return sorted(start + timedelta(seconds=int(rng.random() * span)) for _ in range(count))


def _outcome(rng, created, now) -> tuple[datetime | None, datetime | None]:
    """(merged_at, closed_at) of a change opened at `created`: most merge hours to days later,
    some are closed unmerged, recent ones may still be open, old ones don't stay open forever."""
    finished = created + _hours(rng, 20, 1.0)
    roll = rng.random()
    merged_at = finished if roll < 0.86 and finished < now else None
    closed_at = finished if merged_at is None and roll < 0.95 and finished < now else None
    if merged_at is None and closed_at is None and created < now - timedelta(days=21):
        closed_at = created + _minutes(rng, 14 * 1440, 21 * 1440)
    return merged_at, closed_at


def _labels(rng) -> list[str]:
    labels = [rng.choice(LABELS)] if rng.random() < 0.7 else []
    if labels and rng.random() < 0.15:
        labels.append(rng.choice(LABELS))
    return sorted(set(labels))


def _run(rng, ids, scenario, repo, name, workflow_offset, branch, sha, event, created, actor, now, failure_rate):
    """Append one workflow run; return it. A failed run is sometimes re-run to success."""
    duration = _minutes(rng, 2, 12)
    roll = rng.random()
    conclusion = "failure" if roll < failure_rate else "cancelled" if roll < failure_rate + 0.02 else "success"
    attempt, started = 1, created + timedelta(seconds=rng.randint(2, 40))
    if conclusion == "failure" and rng.random() < 0.3:
        attempt, conclusion = 2, "success"
        started = created + duration + _minutes(rng, 5, 60)
    finished = started + duration
    status = "completed" if finished <= now else "in_progress"
    run = WorkflowRun(
        repo=repo.full_name, id=ids("run"), workflow_id=repo.id * 10 + workflow_offset, workflow_name=name,
        head_branch=branch, head_sha=sha, event=event, status=status,
        conclusion=conclusion if status == "completed" else None,
        created_at=created, run_started_at=started, updated_at=min(finished, now), actor=actor, run_attempt=attempt,
    )
    scenario.workflow_runs.append(run)
    return run


def _deploy_run(rng, ids, scenario, repo, merged_at, sha, author, now, failure_rate) -> datetime | None:
    """The deploy workflow on main after a merge; the time it finished if it succeeded."""
    created = merged_at + _minutes(rng, 1, 5)
    if created > now:
        return None
    run = _run(rng, ids, scenario, repo, "deploy", 2, repo.default_branch, sha, "push", created, author, now,
               failure_rate)
    return run.updated_at if run.conclusion == "success" else None


def _deployments(rng, ids, scenario, repo, deployed_at, sha, creator, now) -> None:
    for environment, delay in (("staging", timedelta(0)), ("production", _minutes(rng, 20, 40))):
        created = deployed_at + delay
        if created > now:
            return
        final = "failure" if environment == "production" and rng.random() < 0.05 else "success"
        steps = [("queued", timedelta(0)), ("in_progress", timedelta(seconds=20)),
                 (final, _minutes(rng, 2, 8))]
        deployment_id = ids("deployment")
        log_url = f"https://ci.example.com/{repo.full_name}/deployments/{deployment_id}"
        statuses = [DeploymentStatus(ids("status"), state, created + after, log_url)
                    for state, after in steps if created + after <= now]
        scenario.deployments.append(Deployment(repo.full_name, deployment_id, sha, repo.default_branch,
                                               environment, created, creator, "deploy", statuses))
        if final == "failure":
            return


def _releases(rng, ids, scenario, repo, merges, people) -> None:
    """A release about every 8th merge; the newest is still a draft, a few are pre-releases."""
    picked = merges[7::8]
    for n, (merged_at, sha, _author) in enumerate(picked, start=1):
        created = merged_at + _minutes(rng, 30, 360)
        draft = n == len(picked)
        tag = f"v1.{n}" + ("-rc.1" if not draft and rng.random() < 0.1 else "")
        scenario.releases.append(Release(
            repo=repo.full_name, id=ids("release"), tag_name=tag, target_commitish=repo.default_branch,
            name=f"{repo.name} {tag}", created_at=created, published_at=None if draft else created,
            author=rng.choice(people), draft=draft, prerelease=tag.endswith("-rc.1"),
        ))


def _incident_times(rng, deploy_times, start, now, per_month, after_deploy_share):
    """(created, resolved or None) of one service's incidents, drawn one at a time: a share start
    10-120 min after one of the team's deploys; they resolve minutes to hours later."""
    months = (now - start).days / DAYS_PER_MONTH
    count = max(int(rng.gauss(per_month * months, (per_month * months) ** 0.5)), 0)
    span = (now - start).total_seconds()
    for _ in range(count):
        if deploy_times and rng.random() < after_deploy_share:
            created = rng.choice(deploy_times) + _minutes(rng, 10, 120)
        else:
            created = start + timedelta(seconds=int(rng.random() * span))
        if created >= now:
            continue
        resolved = created + _hours(rng, 1.5, 1.1)
        yield created, resolved if resolved <= now else None


def _incidents(rng, scenario, service, team, deploy_times, start, now, per_month, after_deploy_share) -> None:
    for created, resolved in _incident_times(rng, deploy_times, start, now, per_month, after_deploy_share):
        number = len(scenario.incidents) + 1
        scenario.incidents.append(Incident(
            id=_pd_id(36**5 * 2 + number), incident_number=number,
            title=f"{service.name}: {rng.choice(SYMPTOMS)}", service_id=service.id,
            created_at=created, updated_at=resolved or created,
            urgency="high" if rng.random() < 0.7 else "low",
            priority=rng.choice(["P1", "P2", "P3", "P4", None]),
            status="resolved" if resolved else "triggered", resolved_at=resolved, teams=[team],
        ))


def _leave_newest_incidents_open(scenario: Scenario, now: datetime) -> None:
    """The two newest incidents are still being worked on (open incidents must not break MTTR)."""
    newest = sorted(scenario.incidents, key=lambda i: i.created_at)[-2:]
    for incident, status in zip(newest, ("acknowledged", "triggered")):
        incident.status, incident.resolved_at = status, None
        incident.updated_at = min(incident.created_at + timedelta(minutes=5), now)
    scenario.incidents.sort(key=lambda i: i.created_at)
    for number, incident in enumerate(scenario.incidents, start=1):
        incident.incident_number = number


# --- GitLab teams and their Jira incidents ---------------------------------------------------


def _gitlab_team(rng, ids, scenario, t, owner, projects, start, now, failure_rate) -> tuple[str, list[datetime]]:
    """The t-th team's product as GitLab projects in the group `owner/product`; returns the product
    and when its pipelines on main finished successfully (sorted)."""
    _team_name, product, people = _team(t)
    deploy_times: list[datetime] = []
    for r in range(projects):
        project = GitLabProject(GITLAB_PROJECT_ID_BASE + t * 1000 + r, f"{owner}/{product}/{product}-{_repo_kind(r)}")
        scenario.gitlab_projects.append(project)
        pipeline_iids, deployment_iids = count(1), count(1)
        for merged_at, sha, author in _merge_requests(rng, ids, scenario, project, people, start, now):
            finished = _main_pipeline(rng, ids, scenario, project, merged_at, sha, author, now, failure_rate,
                                      pipeline_iids, deployment_iids)
            if finished is not None:
                deploy_times.append(finished)
    return product, sorted(deploy_times)


def _merge_requests(rng, ids, scenario, project, people, start, now):
    """Append the project's MRs (a third squash-merged: only a squash commit); return (merged_at,
    the commit that lands on main, author) of merges."""
    merges = []
    for iid, created in enumerate(_arrivals(rng, start, now, MRS_PER_PROJECT_PER_WEEK), start=1):
        author = rng.choice(people)
        first_commit = created - _hours(rng, 6, 1.2)
        merged_at, closed_at = _outcome(rng, created, now)
        span = (min(merged_at or closed_at or now, now) - first_commit).total_seconds()
        later_commits = [first_commit + timedelta(seconds=int(rng.random() * span)) for _ in range(rng.randint(0, 4))]
        sha = _sha(rng) if merged_at else None
        squash = rng.random() < 0.3
        scenario.merge_requests.append(MergeRequest(
            project=project.path_with_namespace, id=ids("mr"), iid=iid,
            title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}", author=author, created_at=created,
            updated_at=min((merged_at or closed_at or created) + timedelta(minutes=rng.randint(0, 30)), now),
            commits_authored_at=[first_commit, *later_commits], source_branch=f"{author}/change-{iid}",
            labels=_labels(rng), merged_at=merged_at, closed_at=closed_at,
            merge_commit_sha=None if squash else sha, squash_commit_sha=sha if squash else None,
        ))
        if merged_at:
            merges.append((merged_at, sha, author))
    return merges


def _main_pipeline(rng, ids, scenario, project, merged_at, sha, author, now, failure_rate, pipeline_iids,
                   deployment_iids) -> datetime | None:
    """The push pipeline on main after a merge: build, test, deploy (a GitLab deployment to
    production), then a `smoke` job that may fail without failing the pipeline (allow_failure).
    A failed deploy job is sometimes retried (same pipeline id, later finish); every fourth
    pipeline triggers a child pipeline (end-to-end tests, source parent_pipeline). Returns when
    the pipeline finished if it succeeded."""
    created = merged_at + _minutes(rng, 0.5, 3)
    if created > now:
        return None
    started = created + timedelta(seconds=rng.randint(2, 40))
    build_end = started + _minutes(rng, 1, 4)
    test_end = build_end + _minutes(rng, 2, 8)
    first_deploy_end = test_end + _minutes(rng, 1, 5)
    jobs = [_job(ids, "build", "build", started, build_end, now), _job(ids, "test", "test", build_end, test_end, now)]
    deploy_failed = rng.random() < failure_rate
    first_attempt = None
    if deploy_failed and rng.random() < 0.3:  # retried: GitLab lists only the newest attempt of a job
        first_attempt = _job(ids, "deploy-production", "deploy", test_end, first_deploy_end, now, failed=True)
        deploy_start = first_deploy_end + _minutes(rng, 5, 60)
        deploy = _job(ids, "deploy-production", "deploy", deploy_start, deploy_start + _minutes(rng, 1, 5), now)
    else:
        deploy = _job(ids, "deploy-production", "deploy", test_end, first_deploy_end, now, failed=deploy_failed)
    jobs.append(deploy)
    if deploy.status == "success":
        smoke_end = deploy.finished_at + _minutes(rng, 1, 2)
        jobs.append(_job(ids, "smoke", "verify", deploy.finished_at, smoke_end, now, failed=rng.random() < 0.15,
                         allow_failure=True))
    running = any(job.finished_at is None for job in jobs)
    failed = any(job.status == "failed" and not job.allow_failure for job in jobs)
    status = "running" if running else "failed" if failed else "success"
    finished = None if running else max(job.finished_at for job in jobs)
    scenario.pipelines.append(Pipeline(
        project=project.path_with_namespace, id=ids("pipeline"), iid=next(pipeline_iids),
        ref=project.default_branch, sha=sha, source="push", status=status, created_at=created,
        updated_at=finished or min(now, max(job.started_at or created for job in jobs)), started_at=started,
        finished_at=finished, user=author, jobs=jobs,
    ))
    if rng.random() < 0.25 and build_end <= now:
        _child_pipeline(rng, ids, scenario, project, sha, author, build_end, now, pipeline_iids)
    for attempt in (first_attempt, deploy):
        if attempt is not None and attempt.started_at is not None:
            _gitlab_deployment(ids, scenario, project, sha, author, attempt, deployment_iids)
    return finished if status == "success" else None


def _job(ids, name, stage, started, finished, now, *, failed=False, allow_failure=False) -> GitLabJob:
    """A job that runs from `started` to `finished`, seen at `now` (not yet started: created)."""
    if started > now:
        return GitLabJob(ids("job"), name, stage, "created", allow_failure)
    if finished > now:
        return GitLabJob(ids("job"), name, stage, "running", allow_failure, started)
    return GitLabJob(ids("job"), name, stage, "failed" if failed else "success", allow_failure, started, finished)


def _child_pipeline(rng, ids, scenario, project, sha, author, created, now, pipeline_iids) -> None:
    """End-to-end tests in a child pipeline (GitLab lists it only when asked for parent_pipeline)."""
    started = created + timedelta(seconds=rng.randint(5, 30))
    jobs = [_job(ids, f"e2e-{browser}", "test", started, started + _minutes(rng, 3, 9), now)
            for browser in ("chrome", "firefox")]
    finished = None if any(job.finished_at is None for job in jobs) else max(job.finished_at for job in jobs)
    scenario.pipelines.append(Pipeline(
        project=project.path_with_namespace, id=ids("pipeline"), iid=next(pipeline_iids),
        ref=project.default_branch, sha=sha, source="parent_pipeline", status="success" if finished else "running",
        created_at=created, updated_at=finished or min(started, now), started_at=started if started <= now else None,
        finished_at=finished, user=author, jobs=jobs,
    ))


def _gitlab_deployment(ids, scenario, project, sha, author, job, deployment_iids) -> None:
    """The production deployment a started deploy job made (status and times are the job's)."""
    scenario.gitlab_deployments.append(GitLabDeployment(
        project=project.path_with_namespace, id=ids("gitlab_deployment"), iid=next(deployment_iids),
        environment="production", status=job.status, sha=sha, ref=project.default_branch, created_at=job.started_at,
        updated_at=job.finished_at or job.started_at, finished_at=job.finished_at, user=author,
    ))


def _jira_issues(rng, incident_times, now) -> list[JiraIssue]:
    """Incidents in the Jira project OPS (component: the product), Open -> In Progress -> Resolved,
    and a postmortem Task after some of them (not an incident). Keys follow creation order."""
    drafts = []
    for product, times in incident_times:
        for created, resolved in times:
            drafts.append((created, "Incident", _incident_flow(rng, created, resolved, now), {
                "summary": f"{product}: {rng.choice(SYMPTOMS)}",
                "priority": rng.choice(["Highest", "High", "Medium", "Low"]),
                "labels": ["customer-impact"] if rng.random() < 0.4 else [],
                "components": [product, "database"] if rng.random() < 0.2 else [product],
            }))
            task_created = resolved + _hours(rng, 4, 0.8) if resolved and rng.random() < 0.3 else None
            if task_created and task_created < now:
                done = task_created + _hours(rng, 72, 0.8)
                drafts.append((task_created, "Task", [(done, "To Do", "Done")] if done < now else [], {
                    "summary": f"Postmortem: {product}", "priority": "Medium", "labels": ["postmortem"],
                    "components": [product],
                }))
    issues = []
    for number, (created, issue_type, steps, fields) in enumerate(sorted(drafts, key=lambda d: d[0]), start=1):
        status = steps[-1][2] if steps else ("Open" if issue_type == "Incident" else "To Do")
        category = {"In Progress": "indeterminate", "Resolved": "done", "Done": "done"}.get(status, "new")
        transitions = [JiraTransition(number * 10 + n, at, old, new) for n, (at, old, new) in enumerate(steps)]
        resolved = steps[-1][0] if category == "done" else None
        issues.append(JiraIssue(
            id=JIRA_ISSUE_ID_BASE + number, key=f"{JIRA_PROJECT}-{number}", issue_type=issue_type, status=status,
            status_category=category, created=created, updated=steps[-1][0] if steps else created,
            resolutiondate=resolved, status_category_changed=steps[-1][0] if steps else created,
            transitions=transitions, **fields,
        ))
    return issues


def _incident_flow(rng, created, resolved, now) -> list[tuple[datetime, str, str]]:
    """(when, from, to) status changes of an incident until `now`: picked up minutes after it was
    raised, resolved at `resolved` (None: still open)."""
    picked_up = created + _minutes(rng, 2, 20)
    if resolved is not None and resolved <= picked_up:
        return [(resolved, "Open", "Resolved")]
    steps = [(picked_up, "Open", "In Progress")] if picked_up <= now else []
    if resolved is not None:
        steps.append((resolved, "In Progress", "Resolved"))
    return steps
