"""Transformation: `dbt build` over raw tables written in bulk (bench.raw_tables) on each engine
(DuckDB, PostgreSQL), against the lower bound of one hand-written script computing the same marts
(bench/lower_bound.sql), and the marts of every engine compared row for row.

Each full build starts from a copy of the raw-only warehouse, since history models are incremental
and never fully rebuilt.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bench import raw_tables
from bench.contents import described
from bench.dbt_project import DEFINITIONS, EDITED_DEFINITIONS, DbtProjectCopy
from bench.engines import Engine
from bench.lower_bound import lower_bound
from bench.marts import MARTS, mart_counts, mart_differences
from bench.measure import median
from bench.report import Figure


def run(work: Path, scale: float, repeats: int, log, engines: list[Engine]) -> list[Figure]:
    """Every engine's figures, then whether their marts after the full build are equal."""
    work.mkdir(parents=True, exist_ok=True)
    raw = work / "generated.duckdb"  # bench.raw_tables' output, which every engine's warehouses start from
    raw.unlink(missing_ok=True)
    full = raw_tables.full_load(scale, datetime.now(timezone.utc).replace(microsecond=0))
    with duckdb.connect(str(raw)) as con:
        counts = raw_tables.write(con, full)
    log(f"raw tables at scale {scale}: " + ", ".join(f"{t.split('.')[1]} {n:,}" for t, n in counts.items()))
    figures = [Figure(f"transformation (scale {scale:g})", "raw rows: PRs / workflow runs / deployments / incidents",
                      " / ".join(f"{counts[t]:,}" for t in ("raw_github.pull_requests", "raw_github.workflow_runs",
                                                             "raw_github.deployments", "raw_pagerduty.incidents")))]
    built = {}
    for engine in engines:
        engine_figures, built[engine.name] = measure(engine, work, raw, full, scale, repeats, log)
        figures += engine_figures
    first, *others = engines
    for other in others:
        differences = mart_differences((first, built[first.name], "marts"), (other, built[other.name], "marts"))
        log(f"marts {first.name} vs {other.name}: {differences}")
        figures.append(Figure(f"transformation (scale {scale:g})",
                              f"rows differing, full build: {first.name} marts vs {other.name} marts "
                              "(every column, floats to 6 decimals)", described(differences), "0",
                              not any(differences.values())))
    for engine in engines:
        engine.drop(built[engine.name])
    return figures


def measure(engine: Engine, work: Path, raw: Path, full: raw_tables.Load, scale: float, repeats: int,
            log) -> tuple[list[Figure], object]:
    """The engine's figures, and its warehouse after a full build (the caller drops it)."""
    project = DbtProjectCopy(work, engine)
    started = time.perf_counter()
    source = engine.from_raw(raw, "raw")
    loaded = time.perf_counter() - started
    log(f"{engine.name}: raw tables in place in {loaded:.1f} s")
    log_as = lambda line: log(f"{engine.name}: {line}")  # noqa: E731

    # Parsed once with the settings every build uses.
    warehouse = engine.copy(source, "warehouse")
    parse_seconds, _ = project.run(warehouse, "parse")
    builds, dbt_runs = [], []
    for attempt in range(repeats):
        engine.drop(warehouse)
        warehouse = engine.copy(source, "warehouse")
        seconds, elapsed = project.build(warehouse)
        builds.append(seconds)
        dbt_runs.append(elapsed)
        log_as(f"full dbt build {attempt + 1}/{repeats}: {seconds:.1f} s (dbt's own run {elapsed:.1f} s)")
        log_as(f"  slowest: {project.slowest}")
    slowest_full = project.slowest
    dbt_marts = mart_counts(engine, warehouse, "marts")
    built = engine.copy(warehouse, "built")

    bounds = []
    for attempt in range(repeats):
        bound = engine.copy(source, "bound")
        bounds.append(lower_bound(engine, bound, project.services_csv))
        log_as(f"lower bound {attempt + 1}/{repeats}: {bounds[-1]:.1f} s")
        lb_marts = mart_counts(engine, bound, "lower_bound")
        engine.drop(bound)

    # Incremental: 1% new rows in a later load, after a full build (each repeat from the same state).
    increments = []
    for attempt in range(repeats):
        engine.drop(warehouse)
        warehouse = engine.copy(built, "warehouse")
        engine.add_load(warehouse, raw_tables.increment(scale, full))
        seconds, _ = project.build(warehouse)
        increments.append(seconds)
        log_as(f"build after 1% new data {attempt + 1}/{repeats}: {seconds:.1f} s")
        log_as(f"  slowest: {project.slowest}")
    slowest_increment = project.slowest

    edits = []
    for attempt in range(repeats):
        engine.drop(warehouse)
        warehouse = engine.copy(built, "warehouse")
        project.define(EDITED_DEFINITIONS)
        seconds, _ = project.build(warehouse)
        project.define(DEFINITIONS)
        edits.append(seconds)
        log_as(f"build after a definition edit {attempt + 1}/{repeats}: {seconds:.1f} s")
    engine.drop(warehouse)
    engine.drop(source)

    full_s, inc_s, edit_s, lb_s = median(builds), median(increments), median(edits), median(bounds)
    duckdb_targets = engine.name == "duckdb"  # issue 18's targets are DuckDB's
    section = f"transformation on {engine.name} (scale {scale:g})"
    figures = [
        Figure(section, "raw tables in place (DuckDB: a file copy; PostgreSQL: COPY from DuckDB, then ANALYZE)", f"{loaded:.1f} s"),
        Figure(section, "dbt parse (full, cold)", f"{parse_seconds:.1f} s"),
        Figure(section, f"full dbt build, median of {repeats}", f"{full_s:.1f} s (dbt's own run {median(dbt_runs):.1f} s)"),
        Figure(section, f"lower bound (one hand-written script), median of {repeats}", f"{lb_s:.1f} s"),
        Figure(section, "full build / lower bound", f"{full_s / lb_s:.1f}x", *(("<= 3x", full_s / lb_s <= 3)
                                                                              if duckdb_targets else ())),
        Figure(section, "build after 1% new data", f"{inc_s:.1f} s = {inc_s / full_s:.0%} of full",
               *(("<= 25% of full", inc_s / full_s <= 0.25) if duckdb_targets else ())),
        Figure(section, "slowest nodes, full build", slowest_full),
        Figure(section, "slowest nodes, build after 1% new data", slowest_increment),
        Figure(section, "build after a definition edit", f"{edit_s:.1f} s = {edit_s / full_s:.0%} of full"),
        Figure(section, "mart rows dbt / lower bound", ", ".join(f"{m} {dbt_marts[m]:,}/{lb_marts[m]:,}" for m in MARTS)),
    ]
    return figures, built
