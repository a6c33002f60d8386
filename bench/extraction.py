"""Extraction: each resource loaded from the simulated org at a given scale, first run then a run
with nothing changed, each in a child process (its peak RSS is the extractor's alone; the
simulated org, which holds the whole scenario in memory, stays in this process).

Scale 1.0 is 100 repositories over 36 months with 64 PRs per repository and week (1 M PRs, ~0.86 M
deploy runs, ~0.5 M deployments with `with_ci_runs=False`) and 55 incidents per service and
month (~20,000): simorg.generate at the benchmark size of its docstring.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench.measure import run_child
from simorg.generate import generate_scenario
from simorg.server import SimulatedOrg

# (source, resource, the simorg endpoints its requests go to)
RESOURCES = [
    ("github", "pull_requests"),
    ("github", "workflow_runs"),
    ("github", "releases"),
    ("github", "deployments"),
    ("pagerduty", "incidents"),
    ("pagerduty", "services"),
]


@dataclass(frozen=True)
class ResourceRun:
    source: str
    resource: str
    rows: int
    seconds: float
    peak_rss_mib: float
    requests: int  # every request the simulated org answered
    not_modified: int  # of which 304s (free on GitHub)
    budget: int  # GitHub rate-limit points spent, REST and GraphQL
    graphql_points: int  # of which GraphQL points (GitHub's cost formula)

    @property
    def per_1000(self) -> float:
        return 1000 * self.requests / self.rows if self.rows else float("nan")


def scenario_at(scale: float, now: datetime):
    return generate_scenario(now, teams=10, repos_per_team=10, months=36, prs_per_repo_per_week=64 * scale,
                             incidents_per_service_per_month=55 * scale, with_ci_runs=False)


def run_resource(org: SimulatedOrg, home: Path, source: str, resource: str) -> ResourceRun:
    before, points_before = Counter(org.requests), Counter(org.points_used)
    child = run_child([sys.executable, "-m", "bench.extract_child", str(home), source, resource],
                      env=settings(org), cwd=Path(__file__).parents[1])
    spent, points = Counter(org.requests), Counter(org.points_used)
    spent.subtract(before)
    points.subtract(points_before)
    result = json.loads(child.output.strip().splitlines()[-1])
    return ResourceRun(source, resource, result["rows"], result["seconds"], child.peak_rss_mib,
                       sum(spent.values()), sum(n for (_, endpoint), n in spent.items() if endpoint.endswith(":304")),
                       sum(points.values()), points["graphql"])


def settings(org: SimulatedOrg) -> dict[str, str]:
    scenario = org.scenario
    return {
        "SOURCES__GITHUB__ACCESS_TOKEN": scenario.github_token,
        "SOURCES__GITHUB__BASE_URL": org.github_url,
        "SOURCES__GITHUB__GRAPHQL_URL": org.github_graphql_url,
        "SOURCES__GITHUB__OWNER": scenario.repos[0].owner,
        "SOURCES__GITHUB__BACKFILL_DAYS": "1200",  # the whole 3-year history
        "SOURCES__PAGERDUTY__API_KEY": scenario.pagerduty_token,
        "SOURCES__PAGERDUTY__BASE_URL": org.pagerduty_url,
        "SOURCES__PAGERDUTY__BACKFILL_DAYS": "1200",
        "RUNTIME__LOG_LEVEL": "WARNING",
    }


def run_scale(work: Path, scale: float, log) -> dict[str, list[ResourceRun]]:
    """{"first": [...], "second": [...]} for every resource at one scale."""
    scenario = scenario_at(scale, datetime.now(timezone.utc))
    log(f"extraction scale {scale}: {len(scenario.pull_requests):,} PRs, {len(scenario.workflow_runs):,} runs, "
        f"{len(scenario.releases):,} releases, {len(scenario.deployments):,} deployments, "
        f"{len(scenario.incidents):,} incidents in {len(scenario.repos)} repositories")
    home = work / f"extraction-{scale:g}"
    runs: dict[str, list[ResourceRun]] = {"first": [], "second": []}
    with SimulatedOrg(scenario, frozen=True, rate_limit=10**9) as org:
        for source, resource in RESOURCES:
            for which in ("first", "second"):
                run = run_resource(org, home, source, resource)
                runs[which].append(run)
                log(f"  {which:6} {source}.{resource}: {run.rows:,} rows, {run.requests} requests "
                    f"({run.not_modified} answered 304, {run.budget} budget), {run.seconds:.1f} s, "
                    f"{run.peak_rss_mib:.0f} MiB peak")
    return runs
