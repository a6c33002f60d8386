"""The benchmark harness runs at a tiny scale: raw tables in bulk, the lower-bound script over them,
the transformation section on PostgreSQL, one extraction run measured in a child process, and the
results block of the docs rewritten."""

from __future__ import annotations

import math
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from bench import raw_tables, transformation
from bench.dbt_project import DbtProjectCopy
from bench.engines import DuckDB, Postgres
from bench.extraction import run_resource
from bench.fixed_cost import TimedRun
from bench.lower_bound import lower_bound
from bench.marts import MARTS, mart_counts
from bench.postgres_server import CREDENTIALS, postgres_server
from bench.run import BEGIN, END, write_results
from simorg.generate import generate_scenario
from simorg.server import SimulatedOrg

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_raw_tables_and_lower_bound(tmp_path: Path) -> None:
    warehouse = tmp_path / "raw.duckdb"
    full = raw_tables.full_load(0.001, NOW)
    with duckdb.connect(str(warehouse)) as con:
        counts = raw_tables.write(con, full)
        # scale 0.001 of 1,000,000 PRs / 200,000 runs / 100,000 deployments / 20,000 incidents; 10 services
        assert [counts[t] for t in ("raw_github.pull_requests", "raw_github.workflow_runs", "raw_github.deployments",
                                    "raw_pagerduty.services")] == [1000, 200, 100, 10]
        assert counts["raw_pagerduty.incidents"] <= 20  # incidents that would start after `now` are dropped
        # 1% more in a later load: 10 PRs, 2 runs, 1 deployment (rounded up to at least one row), which
        # is not there yet: its PR's review ends after the later load's `now`
        later = raw_tables.increment(0.001, full)
        after = raw_tables.write(con, later)
        assert after["raw_github.pull_requests"] == 1010 and after["raw_github.workflow_runs"] == 202
        assert after["raw_github.deployments"] == 100
        # nothing is dated after the load that carries it (dbt would quarantine it as future-dated)
        assert con.execute("""select count(*) from raw_github.deployments
                              where created_at > ? or updated_at > ? or latest_status_at > ?""",
                           [later.now] * 3).fetchall() == [(0,)]
        assert con.execute("select count(distinct id), count(distinct _dlt_load_id) from raw_github.pull_requests"
                           ).fetchall() == [(1010, 2)]
        assert con.execute("select count(*) from raw_github._dlt_loads where status = 0").fetchall() == [(2,)]
    engine = DuckDB(tmp_path)
    project = DbtProjectCopy(tmp_path, engine)
    lower_bound(engine, warehouse, project.services_csv)
    marts = mart_counts(engine, warehouse, "lower_bound")
    assert 0 < marts["changes"] <= marts_merged(warehouse) and marts["incidents"] == counts["raw_pagerduty.incidents"] + 1


@pytest.mark.slow
def test_transformation_on_postgres(tmp_path: Path, monkeypatch) -> None:
    """The section as `--warehouses postgres` runs it, on a throwaway cluster of its own."""
    monkeypatch.delenv(CREDENTIALS, raising=False)
    lines = []
    with postgres_server() as server:
        engine = Postgres(tmp_path, server)
        figures = {figure.measure: figure for figure in transformation.run(tmp_path, 0.001, 1, lines.append, [engine])}
        left = engine.databases
        with closing(server.warehouse(server.credentials.database).connect()) as con, con.cursor() as cursor:
            cursor.execute("select count(*) from pg_database where datname like 'dora_bench%'")
            databases_left = cursor.fetchall()[0][0]
    assert figures["raw rows: PRs / workflow runs / deployments / incidents"].value.startswith("1,000 / 200 / 100 / ")
    built, bound = zip(*(pair.split(" ")[1].split("/") for pair in figures["mart rows dbt / lower bound"].value.split(", ")))
    assert [name.split(" ")[0] for name in figures["mart rows dbt / lower bound"].value.split(", ")] == list(MARTS)
    assert built == bound and all(int(n.replace(",", "")) > 0 for n in built)
    assert {f.section for f in figures.values()} == {"transformation (scale 0.001)", "transformation on postgres (scale 0.001)"}
    assert any(line.startswith("postgres: build after 1% new data 1/1") for line in lines)
    assert not left and databases_left == 0  # every database it made is dropped


def marts_merged(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from raw_github.pull_requests where merged_at is not null").fetchall()[0][0]


def test_extraction_run_is_measured(tmp_path: Path) -> None:
    scenario = generate_scenario(NOW, teams=1, repos_per_team=2, months=2, with_ci_runs=False)
    per_repo = [sum(pr.repo == repo.full_name for pr in scenario.pull_requests) for repo in scenario.repos]
    with SimulatedOrg(scenario, frozen=True, rate_limit=10**9) as org:
        first = run_resource(org, tmp_path, "github", "pull_requests")
        second = run_resource(org, tmp_path, "github", "pull_requests")
    # one repository listing (1 point of core), then 100 PRs per GraphQL page (2 points) in each repository
    pages = sum(math.ceil(n / 100) for n in per_repo)
    assert first.requests == 1 + pages
    assert first.rows == len(scenario.pull_requests) and first.budget == 1 + 2 * pages
    # unchanged: the listing (304, free) and one check of both repositories (1 point)
    assert (second.requests, second.not_modified, second.budget) == (2, 1, 1)
    assert 50 < first.peak_rss_mib < 1024


def test_results_replace_only_the_measured_block(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nprose\n\n{BEGIN}\nold table\n{END}\n\nmore prose\n")
    write_results(doc, "new table")
    assert doc.read_text() == f"# Benchmarks\n\nprose\n\n{BEGIN}\nnew table\n{END}\n\nmore prose\n"


def test_fixed_cost_phases_add_up_to_the_run() -> None:
    run = TimedRun(lines=[
        (0.1, "Skipping gitlab: not configured."),
        (5.0, "Preparing the pipeline…"),
        (6.5, "Running:"),
        (7.0, "… extract_github"),
        (10.0, "✓ extract_github (2.5 s)"),
        (10.5, "✓ extract_pagerduty (0.4 s)"),
        (25.0, "✓ dora_dbt (14.0 s)"),
        (26.0, "✓ published_marts (0.6 s)"),
    ], seconds=27.0)
    phases = run.phases("12:00:00  Finished running 6 seeds, 56 table models in 0 hours 0 minutes and 9.50 seconds (9.50s).")
    # steps 2.5 + 0.4 + 14.0 + 0.6 = 17.5 s of the 19.5 s from "Running:" to the last step: 2.0 s
    # overhead there, plus 1.0 s after the last step
    assert {name: round(seconds, 6) for name, seconds in phases.items()} == {
        "imports": 5.0, "prepare": 1.5, "extraction": 2.9, "dbt's own run": 9.5, "dbt step beyond dbt's run": 4.5,
        "publish": 0.6, "Dagster overhead": 3.0}
    assert math.isclose(sum(phases.values()), run.seconds)
