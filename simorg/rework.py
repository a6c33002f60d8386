"""Reverts, hotfixes and GitHub issues in a generated org (`generate_scenario(..., rework=True)`).

They are drawn after every other record, from their own random stream, so turning them on
changes no other record:

- reverts: REVERT_SHARE of the merged pull requests are reverted, 1-48 hours after the merge
  (median 6 h), merged 20 min-6 h later and deployed like any merge (the deploy workflow on
  main). Most with GitHub's Revert button: title `Revert "<title>"`, branch
  `revert-<number>-<head branch>`; the rest with `git revert` of the merge commit: title
  `Revert "Merge pull request #<number> from <owner>/<head branch>"`, branch `<author>/undo-<number>`;
- hotfixes: HOTFIX_SHARE of the PagerDuty incidents get a pull request `Hotfix: <symptom>` from
  `hotfix/<service>-<number>`, labelled hotfix, opened 10-40 min after the incident started in one
  of the service's repositories, merged 15-60 min later and deployed (often while the incident is
  still open);
- GitHub issues: ISSUES_PER_REPO_PER_MONTH per repository. INCIDENT_ISSUE_SHARE of them are
  labelled `incident`, opened 10-120 min after one of the repository's deploys and closed hours
  later (the org's newest is still open); the others are bugs, ideas and questions, closed days
  later or still open, one of them reopened (open again, state_reason reopened).
Numbers continue each repository's sequence, which GitHub shares between issues and pull requests.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import count

from simorg.generate import DAYS_PER_MONTH, SYMPTOMS, THINGS, _deploy_run, _hours, _minutes, _sha
from simorg.scenario import Issue, PullRequest, Scenario

REVERT_SHARE = 0.03
HOTFIX_SHARE = 0.4
ISSUES_PER_REPO_PER_MONTH = 3.0
INCIDENT_ISSUE_SHARE = 0.3
ISSUE_ID_BASE = 1_500_000_000


def add_rework_and_issues(rng: random.Random, ids, scenario: Scenario, start: datetime, now: datetime,
                          deploy_failure_rate: float) -> None:
    numbers = {repo.full_name: count(1 + max((pr.number for pr in scenario.pull_requests if pr.repo == repo.full_name),
                                             default=0))
               for repo in scenario.repos}
    authors = defaultdict(list)
    for pr in scenario.pull_requests:
        if pr.author and pr.author not in authors[pr.repo]:
            authors[pr.repo].append(pr.author)

    def merged_pull_request(repo: str, number: int, title: str, head_ref: str, created: datetime, merged: datetime,
                            author: str | None, labels: list[str]) -> None:
        """Append a pull request merged into main, and the deploy run that follows its merge."""
        pr = PullRequest(repo=repo, number=number, id=ids("pr"), title=title, author=author,
                         created_at=created, updated_at=merged, first_commit_at=created - _minutes(rng, 2, 30),
                         head_ref=head_ref, labels=labels, merged_at=merged, closed_at=merged,
                         merge_commit_sha=_sha(rng))
        scenario.pull_requests.append(pr)
        _deploy_run(rng, ids, scenario, scenario.repo(repo), merged, pr.merge_commit_sha, author, now,
                    deploy_failure_rate)

    for pr in [pr for pr in scenario.pull_requests if pr.merged_at is not None]:
        if rng.random() >= REVERT_SHARE:
            continue
        created = pr.merged_at + min(_hours(rng, 6, 1.0) + timedelta(hours=1), timedelta(hours=48))
        merged = created + _minutes(rng, 20, 360)
        if merged > now:
            continue
        if rng.random() < 0.75:  # GitHub's Revert button
            title, head_ref = f'Revert "{pr.title}"', f"revert-{pr.number}-{pr.head_ref}"
        else:  # git revert of the merge commit
            owner = pr.repo.split("/")[0]
            title = f'Revert "Merge pull request #{pr.number} from {owner}/{pr.head_ref}"'
            head_ref = f"{pr.author or 'ghost'}/undo-{pr.number}"
        merged_pull_request(pr.repo, next(numbers[pr.repo]), title, head_ref, created, merged, pr.author, [])

    for incident in list(scenario.incidents):
        if rng.random() >= HOTFIX_SHARE:
            continue
        service = scenario.service(incident.service_id).name
        repos = [repo.full_name for repo in scenario.repos if repo.name.startswith(f"{service}-")]
        created = incident.created_at + _minutes(rng, 10, 40)
        merged = created + _minutes(rng, 15, 60)
        if not repos or merged > now:
            continue
        repo, symptom = rng.choice(repos), incident.title.split(": ", 1)[-1]
        number = next(numbers[repo])
        merged_pull_request(repo, number, f"Hotfix: {symptom}", f"hotfix/{service}-{number}", created, merged,
                            rng.choice(authors[repo] or [None]), ["hotfix"])

    scenario.issues.extend(_issues(rng, scenario, numbers, authors, start, now))


def _issues(rng, scenario: Scenario, numbers, authors, start: datetime, now: datetime) -> list[Issue]:
    ids = count(ISSUE_ID_BASE)
    issues = []
    for repo in scenario.repos:
        deploys = [run.updated_at for run in scenario.workflow_runs
                   if run.repo == repo.full_name and run.workflow_name == "deploy" and run.conclusion == "success"]
        expected = ISSUES_PER_REPO_PER_MONTH * (now - start).days / DAYS_PER_MONTH
        for _ in range(max(int(rng.gauss(expected, expected ** 0.5)), 0)):
            if deploys and rng.random() < INCIDENT_ISSUE_SHARE:
                created = rng.choice(deploys) + _minutes(rng, 10, 120)
                title, labels = f"{repo.name.rsplit('-', 1)[0]}: {rng.choice(SYMPTOMS)}", ["incident"]
                closed = created + _hours(rng, 3, 0.8)
            else:
                created = start + timedelta(seconds=int(rng.random() * (now - start).total_seconds()))
                kind = rng.choice(["bug", "enhancement", "question"])
                title, labels = f"{kind.capitalize()}: {rng.choice(THINGS)}", [kind]
                closed = created + _hours(rng, 72, 1.0) if rng.random() < 0.7 else None
            if created >= now:
                continue
            closed = closed if closed is not None and closed <= now else None
            issues.append(Issue(repo.full_name, next(numbers[repo.full_name]), next(ids), title,
                                rng.choice(authors[repo.full_name] or [None]), created, closed or created, labels,
                                closed, "completed" if closed else None))
    incidents = sorted((issue for issue in issues if "incident" in issue.labels), key=lambda issue: issue.created_at)
    if incidents:  # the newest incident is still being worked on
        incidents[-1].closed_at, incidents[-1].state_reason, incidents[-1].updated_at = None, None, incidents[-1].created_at
    closed_others = [issue for issue in issues if "incident" not in issue.labels and issue.closed_at is not None]
    if closed_others:  # one was reopened: open again, without closed_at
        reopened = closed_others[0]
        reopened.updated_at = min(reopened.closed_at + timedelta(hours=5), now)
        reopened.closed_at, reopened.state_reason = None, "reopened"
    return issues
