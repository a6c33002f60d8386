"""End to end: `dora demo` on a fresh data directory, and `dora run` against the simulated org at
a scale, each a child process timed as a user would see it, with the time of each pipeline step
read from its progress lines."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from bench.extraction import scenario_at, settings
from bench.measure import BIN, median, run_child
from bench.postgres_server import CREDENTIALS, PostgresServer
from bench.report import Figure
from simorg.server import SimulatedOrg

STEP = re.compile(r"✓ (\S+) \(([\d.]+) s\)")
DBT_RUN = re.compile(r"Finished running .* in .*\(([\d.]+)s\)")


def steps(output: str) -> str:
    """'extract_github 14.1 s, dora_dbt 35.6 s (dbt's own run 11.4 s), ...' from progress lines."""
    parts = [f"{name} {seconds} s" for name, seconds in STEP.findall(output)]
    dbt = DBT_RUN.search(output)
    return ", ".join(parts) + (f"; dbt's own run {dbt.group(1)} s" if dbt else "")


def demo(work: Path, repeats: int, log) -> list[Figure]:
    times, breakdown = [], ""
    for attempt in range(repeats):
        home = work / f"demo-{attempt}"
        shutil.rmtree(home, ignore_errors=True)
        child = run_child([str(BIN / "dora"), "demo"], env={"DORA_HOME": str(home)}, check=False)
        if child.failure():
            log(f"dora demo {child.failure()}")
            return [Figure("end to end", "`dora demo`, fresh data directory", child.failure(), "< 60 s", False)]
        times.append(child.seconds)
        breakdown = steps(child.output)
        log(f"dora demo {attempt + 1}/{repeats}: {child.seconds:.1f} s, {child.peak_rss_mib:.0f} MiB peak; {breakdown}")
    seconds = median(times)
    return [
        Figure("end to end", f"`dora demo`, fresh data directory, median of {repeats}", f"{seconds:.1f} s",
               "< 60 s", seconds < 60),
        Figure("end to end", "`dora demo` steps (last run)", breakdown),
    ]


def dora_run(work: Path, scale: float, log, warehouse: str = "duckdb",
             server: PostgresServer | None = None) -> list[Figure]:
    """One fresh `dora run` at `scale` into `warehouse`: `postgres` loads a new database of `server`,
    dropped afterwards."""
    scenario = scenario_at(scale, datetime.now(timezone.utc))
    home = work / f"run-{warehouse}-{scale:g}"
    shutil.rmtree(home, ignore_errors=True)
    label = f"`dora run --warehouse {warehouse}`, scale {scale:g}"
    database = f"dora_bench_run_{uuid.uuid4().hex[:8]}"
    env = {"DORA_HOME": str(home)}
    if warehouse == "postgres":
        server.create_database(database)
        env[CREDENTIALS] = server.url(database)
    try:
        with SimulatedOrg(scenario, frozen=True, rate_limit=10**9) as org:
            command = [str(BIN / "dora"), "run", "--warehouse", warehouse]
            child = run_child(command, env={**env, **settings(org)}, check=False)
            # the hourly run of an org where nothing happened: extraction finds nothing, the build is skipped
            again = run_child(command, env={**env, **settings(org)}, check=False) if not child.failure() else None
    finally:
        if warehouse == "postgres":
            server.drop_database(database)
    if child.failure():
        log(f"{label} {child.failure()}")
        return [Figure("end to end", label, child.failure())]
    log(f"{label}: {child.seconds:.1f} s, {child.peak_rss_mib:.0f} MiB peak; {steps(child.output)}")
    figures = [Figure("end to end", f"{label} ({len(scenario.pull_requests):,} PRs), fresh",
                      f"{child.seconds:.1f} s, {child.peak_rss_mib:.0f} MiB peak", "", None),
               Figure("end to end", f"{label}: steps", steps(child.output))]
    if again.failure():
        log(f"{label}, again: {again.failure()}")
        return figures + [Figure("end to end", f"{label} again, nothing new", again.failure())]
    log(f"{label} again, nothing new: {again.seconds:.1f} s; {steps(again.output)}")
    return figures + [Figure("end to end", f"{label} again, nothing new", f"{again.seconds:.1f} s: "
                             f"{steps(again.output)}", "< 20 s", again.seconds < 20)]
