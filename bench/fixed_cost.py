"""The fixed cost of `dora run`: what a run pays with nothing new, on a small org (issue 18).

A fresh data directory is run once (backfill, `dbt parse`), then `dora run` again with nothing
new (extraction answered 304 / no new rows; dbt, the publish and the dashboard are skipped,
dora.core.build_inputs), and after one deployment recorded through the custom API (the run
builds and publishes); each run's wall time, split by when its output lines arrive:

- imports: process start to "Preparing the pipeline…" (Python, the CLI, Dagster, dbt-dagster);
- prepare: to "Running:" (the dbt project and its manifest, the Definitions, the job);
- extraction / dbt / publish: the steps' own times from the progress lines (dbt's own run from
  its log line, the rest of the dbt step is dagster-dbt's handling of its events);
- Dagster overhead: the rest of the run up to the last step, and the time after it (run end,
  summary).

The first run's prepare (`dbt parse` of a fresh install) is reported too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.end_to_end import DBT_RUN, STEP
from bench.measure import BIN, median
from bench.report import Figure
from dora.demo import demo_environment, write_demo_definitions
from simorg.generate import generate_scenario
from simorg.server import SimulatedOrg


@dataclass
class TimedRun:
    """One `dora run`: the seconds since its start at which each output line arrived."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    seconds: float = 0.0
    returncode: int = 0

    def at(self, prefix: str) -> float:
        return next(when for when, line in self.lines if line.startswith(prefix))

    def phases(self, dbt_log: str) -> dict[str, float]:
        """Seconds of each phase (module docstring); they add up to the run's wall time."""
        preparing, running = self.at("Preparing the pipeline"), self.at("Running:")
        steps = {name: float(seconds) for _, line in self.lines for name, seconds in STEP.findall(line)}
        last_step = max(when for when, line in self.lines if STEP.search(line))
        dbt_own = float(match.group(1)) if (match := DBT_RUN.search(dbt_log)) else 0.0
        extraction = sum(seconds for name, seconds in steps.items() if name.startswith("extract"))
        dbt = sum(seconds for name, seconds in steps.items() if "dbt" in name)
        publish = sum(seconds for name, seconds in steps.items()) - extraction - dbt
        return {
            "imports": preparing,
            "prepare": running - preparing,
            "extraction": extraction,
            "dbt's own run": dbt_own,
            "dbt step beyond dbt's run": dbt - dbt_own,
            "publish": publish,
            "Dagster overhead": (last_step - running - sum(steps.values())) + (self.seconds - last_step),
        }


def timed_run(env: dict[str, str]) -> TimedRun:
    run = TimedRun()
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN / "dora"), "run"], env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        run.lines.append((time.perf_counter() - started, line.strip()))
    run.returncode = process.wait()
    run.seconds = time.perf_counter() - started
    if run.returncode:
        raise RuntimeError("dora run failed:\n" + "\n".join(line for _, line in run.lines[-30:]))
    return run


def run(work: Path, repeats: int, log) -> list[Figure]:
    """`dora run` with nothing new, then after one recorded deployment, on a 2-repository, 2-month
    org, median of `repeats` runs each."""
    scenario = generate_scenario(datetime.now(timezone.utc), teams=1, repos_per_team=2, months=2)
    home = work / "fixed-cost"
    shutil.rmtree(home, ignore_errors=True)
    definitions = write_demo_definitions(home / "definitions", scenario)

    def record_a_deployment(attempt: int) -> None:
        """New rows through the custom API, so the run builds and publishes."""
        recorded_at = f"{datetime.now(timezone.utc) - timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ}"
        subprocess.run([str(BIN / "dora"), "record", "deployment", "--service", "bench", "--environment",
                        "production", "--sha", f"{attempt:07x}", "--at", recorded_at, "--id", f"bench-{attempt}"],
                       env={**os.environ, **env}, check=True, capture_output=True)

    def timed_runs(label: str, before=None) -> list[tuple[float, dict[str, float]]]:
        runs = []
        for attempt in range(repeats):
            if before:
                before(attempt)
            again = timed_run(env)
            runs.append((again.seconds, again.phases((home / "last-run.log").read_text())))
            log(f"fixed cost: run {attempt + 1}/{repeats} {label} {again.seconds:.1f} s: "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in runs[-1][1].items()))
        return runs

    with SimulatedOrg(scenario, frozen=True) as org:
        env = {"DORA_HOME": str(home), "DORA_DEFINITIONS_DIR": str(definitions), **demo_environment(org, scenario)}
        first = timed_run(env)
        first_prepare = first.at("Running:") - first.at("Preparing the pipeline")
        log(f"fixed cost: first run {first.seconds:.1f} s (prepare {first_prepare:.1f} s)")
        unchanged = timed_runs("with nothing new")
        builds = timed_runs("after one recorded deployment", before=record_a_deployment)
    return [
        *_figures(f"`dora run` with nothing new, 2 repositories, median of {repeats}", unchanged, target_seconds=20),
        *_figures(f"`dora run` after one recorded deployment (builds), median of {repeats}", builds),
        Figure("fixed cost", "first run's prepare (fresh install: `dbt parse`)", f"{first_prepare:.1f} s"),
    ]


def _figures(measure: str, runs: list[tuple[float, dict[str, float]]],
             target_seconds: float | None = None) -> list[Figure]:
    """The median wall time of `runs` (against the target, if any), and the medians of their phases."""
    seconds = median([total for total, _ in runs])
    phases = {name: median([split[name] for _, split in runs]) for name in runs[0][1]}
    target = (f"< {target_seconds:g} s", seconds < target_seconds) if target_seconds else ("", None)
    return [
        Figure("fixed cost", measure, f"{seconds:.1f} s", *target),
        Figure("fixed cost", "split (medians)", "; ".join(f"{name} {value:.1f} s" for name, value in phases.items())),
    ]
