"""GitHub's rate limits at scale, against the simulated org, which enforces GitHub's budgets and
cost formula (simorg.ratelimit):

- Windows: the GitHub source backfills every resource of the benchmark org at `scale` against
  budgets scaled alike (5,000 x scale points and requests per window), as hourly runs would: each
  run goes until it stops before a request it cannot afford, the window is then refilled ("the
  next hour"), and the next run continues. Counted: runs (= windows), points, requests, refusals.
- Full scale (1,000,000 PRs in 100 repositories): the windows it needs at the real 5,000 points an
  hour, priced with the per-page costs each resource's first run measured (bench.extraction),
  against the formula's floor (every page full: 2 points per 100 PRs, 1 per 100 deployments).
- Interrupted: the same backfill once without limits, and once SIGKILLed at 60% of those
  requests and run again: the difference is what the kill wasted (at most one load).
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bench.extraction import ResourceRun, scenario_at, settings
from bench.measure import run_child
from bench.report import Figure
from simorg.server import SimulatedOrg

BUDGET = 5000  # GitHub: REST requests and GraphQL points per hour
REPO_ROOT = Path(__file__).parents[1]
FULL_PRS = 1_000_000


@dataclass(frozen=True)
class Backfill:
    runs: int
    requests: int  # every request answered, free 304s included
    points: int  # GraphQL
    rest: int  # REST requests charged (304s are free)
    refused: int
    rows: int  # distinct rows stored

    @property
    def charged(self) -> int:
        return self.points + self.rest


def _child(home: Path, org: SimulatedOrg, extra: dict[str, str]) -> dict:
    child = run_child([sys.executable, "-m", "bench.extract_child", str(home), "github"],
                      env={**settings(org), **extra}, cwd=REPO_ROOT)
    return json.loads(child.output.strip().splitlines()[-1])


def _totals(org: SimulatedOrg, runs: int, home: Path) -> Backfill:
    refused = sum(n for (_, endpoint), n in org.requests.items() if endpoint.endswith(":refused"))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = sum(con.execute(f"select count(distinct id) from raw_github.{table}").fetchone()[0]
                   for table in ("pull_requests", "workflow_runs", "releases", "deployments"))
    return Backfill(runs, sum(org.requests.values()), org.points_used["graphql"], org.points_used["core"], refused, rows)


def windowed(work: Path, scale: float, log) -> Backfill:
    scenario = scenario_at(scale, datetime.now(timezone.utc))
    budget = max(10, round(BUDGET * scale))
    runs = 0
    with SimulatedOrg(scenario, frozen=True, rate_limit=budget) as org:
        while True:
            runs += 1
            result = _child(work / "windowed", org, {"SOURCES__GITHUB__MAX_RATE_LIMIT_WAIT": "0"})
            if not result["stopped"]:
                break
            org.budget.refill()
        backfill = _totals(org, runs, work / "windowed")
    log(f"windowed backfill at scale {scale} ({budget} a window): {backfill}")
    return backfill


def uninterrupted(work: Path, scale: float) -> Backfill:
    scenario = scenario_at(scale, datetime.now(timezone.utc))
    with SimulatedOrg(scenario, frozen=True, rate_limit=10**9) as org:
        _child(work / "uninterrupted", org, {})
        return _totals(org, 1, work / "uninterrupted")


def killed(work: Path, scale: float, after_requests: int, log) -> Backfill:
    """SIGKILL the backfill once it has sent `after_requests` requests, then run it to the end."""
    scenario = scenario_at(scale, datetime.now(timezone.utc))
    home = work / "killed"
    with SimulatedOrg(scenario, frozen=True, rate_limit=10**9) as org:
        process = subprocess.Popen([sys.executable, "-m", "bench.extract_child", str(home), "github"],
                                   env={**os.environ, **settings(org)}, cwd=REPO_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while sum(org.requests.values()) < after_requests and process.poll() is None:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        log(f"  killed after {sum(org.requests.values())} requests")
        _child(home, org, {})
        backfill = _totals(org, 2, home)
    log(f"killed and resumed backfill at scale {scale}: {backfill}")
    return backfill


def run(work: Path, scale: float, log) -> list[Figure]:
    section = f"rate limits (scale {scale:g})"
    clean = uninterrupted(work, scale)
    windows = windowed(work, scale, log)
    interrupted = killed(work, scale, int(0.6 * clean.requests), log)
    budget = max(10, round(BUDGET * scale))
    wasted = interrupted.requests - clean.requests
    return [
        Figure(section, f"GitHub backfill (every resource) at {budget:,} points and {budget:,} REST requests a "
               f"window ({100 * scale:g}% of GitHub's 5,000 an hour, for {100 * scale:g}% of the data)",
               f"{windows.runs} windows: each run stopped before the request it could not afford ({windows.refused} "
               f"refused) and the next went on; {windows.points:,} points and {windows.rest:,} charged REST "
               f"requests against {clean.points:,} and {clean.rest:,} uninterrupted "
               f"({windows.charged / clean.charged:.2f}x); {windows.rows:,} rows stored, as uninterrupted: "
               f"{'yes' if windows.rows == clean.rows else 'NO'}", "completes, 0 refused, <= 1.2x the budget",
               windows.refused == 0 and windows.rows == clean.rows and windows.charged <= 1.2 * clean.charged),
        Figure(section, "requests wasted by an interrupted backfill",
               f"SIGKILLed at 60% of its {clean.requests:,} requests and run again: {wasted:+,} requests (those of "
               f"the load in flight, loads of 500), {interrupted.charged - clean.charged:+,} charged; stopped "
               f"{windows.runs - 1} times by rate limits: {windows.charged - clean.charged:+,} charged (each run's "
               f"new pass over the finished resources: checks, drafts), {windows.requests - clean.requests:+,} "
               f"requests with the free 304s", "<= one load (500)", wasted <= 500),
    ]


def full_scale(first: dict[str, ResourceRun], repos: int) -> list[Figure]:
    """A 1M-PR, 100-repository backfill priced with the per-page costs measured at `scale` (each
    resource's first run alone, `first`), against the formula's floor (every page full)."""
    prs, deployments, runs, releases = (first[name] for name in ("pull_requests", "deployments", "workflow_runs",
                                                                 "releases"))
    factor = FULL_PRS / prs.rows
    pr_page = prs.graphql_points / (prs.requests - 1)  # every request but the repository listing
    deployment_page = deployments.graphql_points / (deployments.requests - 1)
    deployments_full, runs_full = deployments.rows * factor, runs.rows * factor
    # full pages, plus at most one partial last page per repository
    points = (pr_page * (FULL_PRS / 100 + repos) + deployment_page * (deployments_full / 100 + repos)
              + releases.graphql_points)  # a repository id per repository with releases, whatever the size
    floor = 2 * FULL_PRS / 100 + deployments_full / 100
    rest = runs_full / 100 + repos + releases.budget - releases.graphql_points
    return [
        Figure("rate limits", "GitHub GraphQL points and REST requests per 1,000 PRs, first commits included "
               "(GitHub's cost formula)",
               f"pull requests alone: {1000 * prs.graphql_points / prs.rows:.1f} points measured at {prs.rows:,} PRs "
               f"(a page of 100 costs {pr_page:.2f}), {1000 * pr_page * (FULL_PRS / 100 + repos) / FULL_PRS:.1f} at "
               f"1M, 0 REST; the whole GitHub backfill at 1M PRs: {1000 * points / FULL_PRS:.1f} points and "
               f"{1000 * rest / FULL_PRS:.1f} REST requests per 1,000 PRs"),
        Figure("rate limits", "rate-limit windows (hours) a 1M-PR, 100-repository GitHub backfill needs at "
               "5,000 points and 5,000 REST requests an hour",
               f"{points / BUDGET:.2f} windows of GraphQL ({points:,.0f} points: {math.ceil(points / BUDGET)} hourly "
               f"runs), {rest / BUDGET:.2f} of REST alongside; the formula's floor {floor / BUDGET:.2f} ({floor:,.0f} "
               f"points: every page full)", "", None),
    ]
