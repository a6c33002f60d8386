"""`python -m bench`: run the benchmarks, print the table and write it to docs/benchmarks.md.

    python -m bench                      # the default set, ~20 minutes on 2 cores with --warehouses duckdb
    python -m bench --sections transformation --warehouses duckdb,postgres   # both engines side by side
    python -m bench --scale 0.01 --extraction-scales 0.002,0.004 --repeats 1 --no-demo   # a quick look

Every figure comes from this one run on this machine (the header says which); ratios are of
figures measured side by side, times are medians of --repeats runs. Work directories are made
under /tmp (a fresh DORA_HOME for every measured run) and removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from bench import end_to_end, extraction, fixed_cost, rate_limits, transformation
from bench.contents import check_contents
from bench.engines import DuckDB, Engine, Postgres
from bench.measure import machine
from bench.postgres_server import PostgresServer, postgres_server
from bench.report import Figure, table

DOCS = Path(__file__).parents[1] / "docs" / "benchmarks.md"
REPOS = 100  # in the benchmark org at every scale


def extraction_figures(runs_by_scale: dict[float, dict[str, list[extraction.ResourceRun]]]) -> list[Figure]:
    scales = sorted(runs_by_scale)
    largest = runs_by_scale[scales[-1]]
    section = f"extraction (scale {scales[-1]:g})"
    figures = []
    for first, second in zip(largest["first"], largest["second"]):
        name = f"{first.source}.{first.resource}"
        figures.append(Figure(
            section, f"{name}: first run",
            f"{first.rows:,} rows, {first.requests} requests = {first.per_1000:.1f} per 1,000, "
            f"{first.graphql_points} GraphQL points; {first.rows / first.seconds:,.0f} rows/s; "
            f"{first.peak_rss_mib:.0f} MiB peak"))
        figures.append(Figure(
            section, f"{name}: second run, nothing changed",
            f"{second.requests} requests ({second.not_modified} answered 304), {second.budget} rate-limit points"))
    github_second = [run for run in largest["second"] if run.source == "github"]
    points = sum(run.graphql_points for run in github_second)
    figures.append(Figure(
        "extraction", f"an unchanged hourly GitHub run, {REPOS} repositories (every resource)",
        f"{points} GraphQL points = {points / REPOS:.2f} per repository (one check query of the 100 "
        f"repositories per GraphQL resource); {sum(run.requests for run in github_second)} requests, "
        f"{sum(run.not_modified for run in github_second)} of them free 304s",
        "<= 0.2 points per repository", points / REPOS <= 0.2))
    first = {run.resource: run for run in largest["first"] if run.source == "github"}
    figures += rate_limits.full_scale(first, REPOS)
    peaks = {scale: max(r.peak_rss_mib for which in runs.values() for r in which) for scale, runs in runs_by_scale.items()}
    rows = {scale: sum(r.rows for r in runs["first"]) for scale, runs in runs_by_scale.items()}
    flat = peaks[scales[-1]] <= peaks[scales[0]] * 1.25
    figures.append(Figure(
        "extraction", "peak RSS of one resource's run at each scale",
        "; ".join(f"{peaks[s]:.0f} MiB at {rows[s]:,} rows" for s in scales),
        "flat, < 1 GiB", flat and peaks[scales[-1]] < 1024))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="transformation scale (1.0 = 1 M PRs)")
    parser.add_argument("--extraction-scales", default="0.005,0.01",
                        help="comma-separated extraction scales (two, to show peak RSS is flat)")
    parser.add_argument("--rate-limit-scale", type=float, default=0.01,
                        help="scale of the windowed, uninterrupted and killed GitHub backfills (budget scaled alike)")
    parser.add_argument("--run-scales", default="0.1", help="comma-separated scales for `dora run` ('' for none)")
    parser.add_argument("--check-scale", type=float, default=0.01,
                        help="scale at which mart contents are compared row for row (lower bound, incremental vs full)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per timed figure (the median is reported)")
    parser.add_argument("--warehouses", default="duckdb,postgres",
                        help="comma-separated warehouses of the transformation (postgres: on the server "
                             "DESTINATION__POSTGRES__CREDENTIALS names, its user allowed to create databases, "
                             "else on a throwaway cluster of this machine's PostgreSQL server binaries)")
    parser.add_argument("--run-warehouses", default="duckdb",
                        help="comma-separated warehouses of `dora run` (postgres: a new database on the same server)")
    parser.add_argument("--no-demo", action="store_true", help="skip `dora demo`")
    parser.add_argument("--sections", default="extraction,rate-limits,transformation,end-to-end,fixed-cost")
    parser.add_argument("--output", type=Path, default=DOCS, help="the Markdown file to write ('-' for none)")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))

    started = time.perf_counter()
    description = machine()
    work = Path(tempfile.mkdtemp(prefix="dora-bench-"))

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {line}", flush=True)

    figures: list[Figure] = []
    warehouses = args.warehouses.split(",") if "transformation" in sections else []
    run_warehouses = args.run_warehouses.split(",") if "end-to-end" in sections and args.run_scales else []
    stack = ExitStack()
    try:
        server = stack.enter_context(postgres_server()) if "postgres" in warehouses + run_warehouses else None
        if "extraction" in sections:
            runs = {float(s): extraction.run_scale(work, float(s), log) for s in args.extraction_scales.split(",")}
            figures += extraction_figures(runs)
        if "rate-limits" in sections:
            figures += rate_limits.run(work / "rate-limits", args.rate_limit_scale, log)
        if "transformation" in sections:
            checked = [stack.enter_context(engine(name, work / "contents", server)) for name in warehouses]
            figures += check_contents(work / "contents", args.check_scale, log, checked)
            measured = [stack.enter_context(engine(name, work / "transformation", server)) for name in warehouses]
            figures += transformation.run(work / "transformation", args.scale, args.repeats, log, measured)
        if "end-to-end" in sections:
            if not args.no_demo:
                figures += end_to_end.demo(work, args.repeats, log)
            for scale in filter(None, args.run_scales.split(",")):
                for warehouse in run_warehouses:
                    figures += end_to_end.dora_run(work, float(scale), log, warehouse, server)
        if "fixed-cost" in sections:
            figures += fixed_cost.run(work, args.repeats, log)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    result = (f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {minutes:.1f} min on: {description}\n\n"
              f"Command: `python -m bench {' '.join(argv) if argv is not None else ''}`".rstrip() + "\n\n" + table(figures))
    print("\n" + result)
    if str(args.output) != "-":
        write_results(args.output, result)


@contextmanager
def engine(name: str, work: Path, server: PostgresServer | None) -> Iterator[Engine]:
    """The engine `name` working in `work`; its databases dropped when done."""
    work.mkdir(parents=True, exist_ok=True)
    if name == "duckdb":
        yield DuckDB(work)
        return
    postgres = Postgres(work, server)
    try:
        yield postgres
    finally:
        postgres.drop_all()


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_results(path: Path, result: str) -> None:
    """Replace the measured block of the document, keeping the prose around it."""
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{result}\n{END}{tail}")


if __name__ == "__main__":
    main()
