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

Knobs: teams, repos_per_team, months, prs_per_repo_per_week, deploy_failure_rate,
incidents_per_service_per_month, incident_after_deploy_share, with_ci_runs (False halves the
records for PR-heavy benchmarks), owner. Work is linear in the number of records (one sort per
repository). The benchmark size, teams=10, repos_per_team=10, months=36,
prs_per_repo_per_week=64, with_ci_runs=False, gives 1.0 M PRs, 0.86 M deploy runs, 0.53 M deployments, ~740
incidents in about a minute and 1.9 GB of memory (measured on the 2-core CI box); serve it with
SimulatedOrg(..., frozen=True) so it is indexed once. Ids fit GraphQL's 32-bit Int (databaseId).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from simorg.scenario import (
    Deployment,
    DeploymentStatus,
    Incident,
    PagerDutyService,
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


class _Ids:
    """Sequential ids per kind, so records are unique and stable for a seed."""

    def __init__(self) -> None:
        self.next = {"pr": PR_ID_BASE, "run": RUN_ID_BASE, "deployment": DEPLOYMENT_ID_BASE,
                     "status": STATUS_ID_BASE, "release": RELEASE_ID_BASE}

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
) -> Scenario:
    rng = random.Random(seed)
    ids = _Ids()
    now = now.replace(microsecond=0)
    start = (now - timedelta(days=DAYS_PER_MONTH * months)).replace(microsecond=0)
    scenario = Scenario()
    for t in range(teams):
        cycle = "" if t < len(TEAM_NAMES) else f"-{t // len(TEAM_NAMES) + 1}"
        team = TEAM_NAMES[t % len(TEAM_NAMES)] + cycle
        product = PRODUCTS[t % len(PRODUCTS)] + cycle
        people = [f"{PEOPLE[(t * 5 + i) % len(PEOPLE)]}{cycle}" for i in range(5)]
        service = PagerDutyService(_pd_id(36**5 + t), product, [team], f"The {product} product.", "active", start)
        scenario.pagerduty_services.append(service)
        deploy_times: list[datetime] = []
        for r in range(repos_per_team):
            kind = REPO_KINDS[r % len(REPO_KINDS)] + ("" if r < len(REPO_KINDS) else str(r // len(REPO_KINDS)))
            repo = Repo(owner, f"{product}-{kind}", REPO_ID_BASE + t * 1000 + r)
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
    return scenario


def demo_scenario(now: datetime) -> Scenario:
    """The `dora demo` org: 3 teams, 6 repos, 6 months (~1,250 PRs, ~2,300 workflow runs,
    ~50 incidents): enough for weekly DORA charts, extracted in a few seconds."""
    return generate_scenario(now)


def _pull_requests(rng, ids, scenario, repo, people, start, now, per_week, with_ci_runs):
    """Append the repo's PRs (and their CI runs); return (merged_at, merge sha, author) of merges."""
    weeks = (now - start) / WEEK
    count = max(int(rng.gauss(per_week * weeks, (per_week * weeks) ** 0.5)), 0)
    span = (now - start).total_seconds()
    created_times = sorted(start + timedelta(seconds=int(rng.random() * span)) for _ in range(count))
    merges = []
    for number, created in enumerate(created_times, start=1):
        author = rng.choice(people) if rng.random() > 0.01 else None  # 1%: a since-deleted account
        first_commit = None if rng.random() < 0.005 else created - _hours(rng, 6, 1.2)
        finished = created + _hours(rng, 20, 1.0)
        roll = rng.random()
        merged_at = finished if roll < 0.86 and finished < now else None
        closed_at = finished if merged_at is None and roll < 0.95 and finished < now else None
        if merged_at is None and closed_at is None and created < now - timedelta(days=21):
            closed_at = created + _minutes(rng, 14 * 1440, 21 * 1440)  # old PRs don't stay open forever
        last_change = merged_at or closed_at or created
        labels = [rng.choice(LABELS)] if rng.random() < 0.7 else []
        if labels and rng.random() < 0.15:
            labels.append(rng.choice(LABELS))
        pr = PullRequest(
            repo=repo.full_name, number=number, id=ids("pr"),
            title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}", author=author,
            created_at=created, updated_at=min(last_change + timedelta(minutes=rng.randint(0, 30)), now),
            first_commit_at=first_commit, base_ref=repo.default_branch,
            head_ref=f"{author or 'ghost'}/change-{number}", labels=sorted(set(labels)),
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


def _incidents(rng, scenario, service, team, deploy_times, start, now, per_month, after_deploy_share) -> None:
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
        resolved = resolved if resolved <= now else None
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
