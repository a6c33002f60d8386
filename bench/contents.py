"""At a small scale, on each engine: dbt's marts equal the lower bound's row for row, and the marts
after an incremental build equal those of a full build of the same raw tables."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bench import raw_tables
from bench.dbt_project import DbtProjectCopy
from bench.engines import Engine
from bench.lower_bound import lower_bound
from bench.marts import MARTS, mart_counts, mart_differences
from bench.report import Figure


def described(differences: dict[str, int]) -> str:
    return ", ".join(f"{mart} {differences[mart]}" for mart in MARTS)


def check_contents(work: Path, scale: float, log, engines: list[Engine]) -> list[Figure]:
    work.mkdir(parents=True, exist_ok=True)
    full = raw_tables.full_load(scale, datetime.now(timezone.utc).replace(microsecond=0))
    later = raw_tables.increment(scale, full)
    raw, raw_after = work / "contents-raw.duckdb", work / "contents-raw-after.duckdb"
    for path, loads in ((raw, [full]), (raw_after, [full, later])):
        path.unlink(missing_ok=True)
        with duckdb.connect(str(path)) as con:
            for load in loads:
                raw_tables.write(con, load)
    figures = []
    for engine in engines:
        project = DbtProjectCopy(work, engine)
        built, bound = engine.from_raw(raw, "contents_built"), engine.from_raw(raw, "contents_bound")
        small_build, small_run = project.build(built)
        lower_bound(engine, bound, project.services_csv)
        versus_bound = mart_differences((engine, built, "marts"), (engine, bound, "lower_bound"))
        engine.add_load(built, later)
        rebuilt = engine.from_raw(raw_after, "contents_rebuilt")
        project.build(built)  # incremental: after the first build
        project.build(rebuilt)  # full: the same raw tables from scratch
        versus_rebuild = mart_differences((engine, built, "marts"), (engine, rebuilt, "marts"))
        counts = mart_counts(engine, built, "marts")
        for warehouse in (built, bound, rebuilt):
            engine.drop(warehouse)
        log(f"contents on {engine.name} at scale {scale:g}: dbt vs lower bound {versus_bound}; "
            f"incremental vs full {versus_rebuild}")
        section = f"transformation on {engine.name} (scale {scale:g})"
        figures += [
            Figure(section, "full dbt build (almost all of it the fixed cost of one dbt invocation: start-up, "
                   f"seeds, {project.nodes} nodes incl. tests)", f"{small_build:.1f} s (dbt's own run {small_run:.1f} s)"),
            Figure(section, "rows differing (EXCEPT ALL both ways, floats to 6 decimals): dbt marts vs lower bound, "
                   "full build", described(versus_bound), "0", not any(versus_bound.values())),
            Figure(section, "rows differing: marts after the 1% incremental build vs a full build of the same raw "
                   "tables", described(versus_rebuild) + " (of " + ", ".join(f"{counts[m]:,}" for m in MARTS) + " rows)",
                   "0", not any(versus_rebuild.values())),
        ]
    return figures
