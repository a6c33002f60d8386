"""Transformation: `dbt build` over raw tables written in bulk (bench.raw_tables), against the
lower bound of one hand-written DuckDB script computing the same marts (bench/lower_bound.sql).

The dbt project is copied into the work directory so the benchmark's definitions (and its
definition edit) and dbt's target/ never touch the repository's. Each full build starts from a
copy of the raw-only warehouse, since history models are incremental and never fully rebuilt.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bench import raw_tables
from bench.measure import BIN, median, run_child
from bench.report import Figure
from dora.core.home import DBT_PROJECT_DIR

LOWER_BOUND_SQL = Path(__file__).with_name("lower_bound.sql")
DEFINITIONS = [
    {"definition_id": "deploy-workflow", "method": "workflow_run", "branch": "main", "workflow": "deploy",
     "event": "push"},
    {"definition_id": "production-deployments", "method": "github_deployment"},
]
# The edit: merged bug fixes count too; every candidate in history is re-evaluated.
EDITED_DEFINITIONS = [*DEFINITIONS, {"definition_id": "merged-bug-fixes", "method": "merged_pr", "branch": "main",
                                     "label": "bug"}]
MARTS = ("deployments", "changes", "incidents", "dora_weekly", "dora_summary")


class DbtProjectCopy:
    def __init__(self, work: Path) -> None:
        self.dir = work / "dbt_project"
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.copytree(DBT_PROJECT_DIR, self.dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        (self.dir / "seeds" / "services.csv").write_text(raw_tables.services_csv())
        self.define(DEFINITIONS)

    def define(self, definitions: list[dict[str, str]]) -> None:
        """Write deployment_definitions.csv with the repository's columns (empty cells elsewhere)."""
        path = self.dir / "seeds" / "deployment_definitions.csv"
        with path.open() as file:
            header = next(csv.reader(file))
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, header, restval="")
            writer.writeheader()
            writer.writerows(definitions)

    def run(self, warehouse: Path, *args: str) -> tuple[float, float]:
        """(wall seconds of the dbt process, seconds dbt reports for the run itself); the slowest
        nodes of the run are kept in `slowest`."""
        command = [str(BIN / "dbt"), *args, "--project-dir", str(self.dir), "--profiles-dir", str(self.dir)]
        results = self.dir / "target" / "run_results.json"
        results.unlink(missing_ok=True)
        child = run_child(command, env={"DORA_WAREHOUSE": str(warehouse)})
        if not results.exists():
            return child.seconds, child.seconds
        report = json.loads(results.read_text())
        nodes = sorted(report["results"], key=lambda node: -node["execution_time"])
        tests = sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test."))
        self.slowest = ", ".join(f"{n['unique_id'].split('.')[2]} {n['execution_time']:.1f} s" for n in nodes[:6])
        self.slowest += f"; all {sum(n['unique_id'].startswith('test.') for n in nodes)} tests {tests:.1f} s"
        self.nodes = len(nodes)
        return child.seconds, report["elapsed_time"]

    def build(self, warehouse: Path) -> tuple[float, float]:
        return self.run(warehouse, "build", "--exclude-resource-type", "unit_test")


def lower_bound(warehouse: Path, services_csv: Path) -> float:
    import time

    window_end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    started = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        for statement in LOWER_BOUND_SQL.read_text().split(";\n"):
            if statement.strip():
                con.execute(statement, {k: v for k, v in {"services_csv": str(services_csv),
                                                          "window_end": window_end}.items()
                                        if f"${k}" in statement})
    return time.perf_counter() - started


def mart_differences(left: Path, left_schema: str, right: Path, right_schema: str) -> dict[str, int]:
    """Rows of each mart present on one side only (EXCEPT both ways), over the columns the right
    side has: the lower bound computes fewer columns than the dbt marts."""
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        differences = {}
        for mart in MARTS:
            columns = ", ".join(row[0] for row in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'other' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [right_schema, mart]).fetchall())
            ours, theirs = f"select {columns} from {left_schema}.{mart}", f"select {columns} from other.{right_schema}.{mart}"
            differences[mart] = con.execute(
                f"select (select count(*) from ({ours} except all {theirs})) "
                f"+ (select count(*) from ({theirs} except all {ours}))").fetchall()[0][0]
        return differences


def check_contents(work: Path, scale: float, log) -> list[Figure]:
    """At a small scale: dbt's marts equal the lower bound's row for row, and the marts after an
    incremental build equal those of a full build of the same raw tables."""
    work.mkdir(parents=True, exist_ok=True)
    project = DbtProjectCopy(work)
    full = raw_tables.full_load(scale, datetime.now(timezone.utc).replace(microsecond=0))
    raw, built, bound, rebuilt = (work / f"{name}.duckdb" for name in ("raw", "built", "bound", "rebuilt"))
    with duckdb.connect(str(raw)) as con:
        raw_tables.write(con, full)
    shutil.copyfile(raw, built)
    shutil.copyfile(raw, bound)
    small_build, small_run = project.build(built)
    lower_bound(bound, project.dir / "seeds" / "services.csv")
    versus_bound = mart_differences(built, "marts", bound, "lower_bound")
    for warehouse in (built, raw):
        with duckdb.connect(str(warehouse)) as con:
            raw_tables.write(con, raw_tables.increment(scale, full))
    shutil.copyfile(raw, rebuilt)
    project.build(built)  # incremental: after the first build
    project.build(rebuilt)  # full: the same raw tables from scratch
    versus_rebuild = mart_differences(built, "marts", rebuilt, "marts")
    log(f"contents at scale {scale:g}: dbt vs lower bound {versus_bound}; incremental vs full {versus_rebuild}")
    section = f"transformation (scale {scale:g})"
    counts = mart_counts(built, "marts")

    def described(differences: dict[str, int]) -> str:
        return ", ".join(f"{mart} {differences[mart]}" for mart in MARTS)

    return [
        Figure(section, "full dbt build (almost all of it the fixed cost of one dbt invocation: start-up, "
               f"seeds, {project.nodes} nodes incl. tests)", f"{small_build:.1f} s (dbt's own run {small_run:.1f} s)"),
        Figure(section, "rows differing (EXCEPT ALL both ways): dbt marts vs lower bound, full build",
               described(versus_bound), "0", not any(versus_bound.values())),
        Figure(section, "rows differing: marts after the 1% incremental build vs a full build of the same raw tables",
               described(versus_rebuild) + " (of " + ", ".join(f"{counts[m]:,}" for m in MARTS) + " rows)",
               "0", not any(versus_rebuild.values())),
    ]


def mart_counts(warehouse: Path, schema: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {mart: con.execute(f"select count(*) from {schema}.{mart}").fetchall()[0][0] for mart in MARTS}


def run(work: Path, scale: float, repeats: int, log) -> list[Figure]:
    work.mkdir(parents=True, exist_ok=True)
    project = DbtProjectCopy(work)
    raw = work / "raw.duckdb"
    raw.unlink(missing_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    full = raw_tables.full_load(scale, now)
    with duckdb.connect(str(raw)) as con:
        counts = raw_tables.write(con, full)
    log(f"raw tables at scale {scale}: " + ", ".join(f"{t.split('.')[1]} {n:,}" for t, n in counts.items()))
    warehouse = work / "warehouse.duckdb"

    # Parsed once with the path every build uses (dbt re-parses everything when the profile changes).
    parse_seconds, _ = project.run(warehouse, "parse")
    builds, dbt_runs = [], []
    for attempt in range(repeats):
        shutil.copyfile(raw, warehouse)
        seconds, elapsed = project.build(warehouse)
        builds.append(seconds)
        dbt_runs.append(elapsed)
        log(f"full dbt build {attempt + 1}/{repeats}: {seconds:.1f} s (dbt's own run {elapsed:.1f} s)")
        log(f"  slowest: {project.slowest}")
    slowest_full = project.slowest
    dbt_marts = mart_counts(warehouse, "marts")

    bounds = []
    for attempt in range(repeats):
        lb_warehouse = work / "bound.duckdb"
        shutil.copyfile(raw, lb_warehouse)
        bounds.append(lower_bound(lb_warehouse, project.dir / "seeds" / "services.csv"))
        log(f"lower bound {attempt + 1}/{repeats}: {bounds[-1]:.1f} s")
    lb_marts = mart_counts(lb_warehouse, "lower_bound")

    # Incremental: 1% new rows in a later load, after a full build (each repeat from the same state).
    built = work / "built.duckdb"
    shutil.copyfile(warehouse, built)
    increments = []
    for attempt in range(repeats):
        shutil.copyfile(built, warehouse)
        with duckdb.connect(str(warehouse)) as con:
            raw_tables.write(con, raw_tables.increment(scale, full))
        seconds, _ = project.build(warehouse)
        increments.append(seconds)
        log(f"build after 1% new data {attempt + 1}/{repeats}: {seconds:.1f} s")
        log(f"  slowest: {project.slowest}")
    slowest_increment = project.slowest

    edits = []
    for attempt in range(repeats):
        shutil.copyfile(built, warehouse)
        project.define(EDITED_DEFINITIONS)
        seconds, _ = project.build(warehouse)
        project.define(DEFINITIONS)
        edits.append(seconds)
        log(f"build after a definition edit {attempt + 1}/{repeats}: {seconds:.1f} s")

    full_s, inc_s, edit_s, lb_s = median(builds), median(increments), median(edits), median(bounds)
    section = f"transformation (scale {scale:g})"
    return [
        Figure(section, "raw rows: PRs / workflow runs / deployments / incidents",
               " / ".join(f"{counts[t]:,}" for t in ("raw_github.pull_requests", "raw_github.workflow_runs",
                                                      "raw_github.deployments", "raw_pagerduty.incidents"))),
        Figure(section, "dbt parse (full, cold)", f"{parse_seconds:.1f} s"),
        Figure(section, f"full dbt build, median of {repeats}", f"{full_s:.1f} s (dbt's own run {median(dbt_runs):.1f} s)"),
        Figure(section, f"lower bound (one DuckDB script), median of {repeats}", f"{lb_s:.1f} s"),
        Figure(section, "full build / lower bound", f"{full_s / lb_s:.1f}x", "<= 3x", full_s / lb_s <= 3),
        Figure(section, "build after 1% new data", f"{inc_s:.1f} s = {inc_s / full_s:.0%} of full",
               "<= 10% of full", inc_s / full_s <= 0.10),
        Figure(section, "slowest nodes, full build", slowest_full),
        Figure(section, "slowest nodes, build after 1% new data", slowest_increment),
        Figure(section, "build after a definition edit", f"{edit_s:.1f} s = {edit_s / full_s:.0%} of full"),
        Figure(section, "mart rows dbt / lower bound",
               ", ".join(f"{m} {dbt_marts[m]:,}/{lb_marts[m]:,}" for m in MARTS)),
    ]
