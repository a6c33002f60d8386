"""Helpers for the reliability suite: one small simulated org, a fault-free baseline run of the
whole pipeline (built once per test session), snapshots of every history and mart table to
compare other runs with, and `dora run` as a real subprocess that a test can kill.

A snapshot leaves out `loaded_at` (the dlt load id of the load that last wrote a row: it differs
by construction between two runs over the same data) and nothing else; links to the simulated
org are compared without its port (a test that needs its own org serves the same data elsewhere).
"""

from __future__ import annotations

import copy
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
from dlt.extract.source import DltSource
import pytest

from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dlt_sources.progress import load_until_done
from dora.demo import demo_environment, write_demo_definitions
from dora.core.home import Home
from dora.run_cli import run_pipeline
from simorg.generate import generate_scenario
from simorg.scenario import Incident, PullRequest, Scenario
from simorg.server import SimulatedOrg

NOW = datetime.now(timezone.utc).replace(microsecond=0)
COMPARED_SCHEMAS = ("history", "marts")
RAW_DATASETS = ("raw_github", "raw_pagerduty")
RUN_DEPENDENT_COLUMNS = frozenset({"loaded_at", "_dlt_load_id", "_dlt_id"})
ORG_URL = re.compile(r"http://127\.0\.0\.1:\d+")
PAGE_SIZE = 100  # GraphQL nodes per page (dlt_sources.github queries ask for first: 100)
ODD_LABELS = ["needs, review", 'say "hi"', "größe 🚀", "x'); drop table marts.changes; --"]

# dlt's own retry settings, shortened so a fault costs a second, not minutes; a response slower
# than 2 s times out. Rate-limit resets up to 5 s away are waited out, later ones stop the run.
FAST_RETRIES = {
    "RUNTIME__REQUEST_BACKOFF_FACTOR": "0",
    "RUNTIME__REQUEST_MAX_RETRY_DELAY": "1",
    "RUNTIME__REQUEST_MAX_ATTEMPTS": "4",
    "RUNTIME__REQUEST_TIMEOUT": "2",
    "SOURCES__GITHUB__MAX_RATE_LIMIT_WAIT": "5",
    "SOURCES__PAGERDUTY__MAX_RATE_LIMIT_WAIT": "5",
}


def reliability_scenario() -> Scenario:
    """Two repositories of one team over one month: ~110 pull requests each (two GraphQL pages,
    so paging can shift), their CI and deploy runs, a few incidents. Small enough that a whole
    pipeline run is quick; the same data for every test of the session."""
    scenario = generate_scenario(NOW, seed=11, teams=1, repos_per_team=2, months=1, prs_per_repo_per_week=30,
                                 incidents_per_service_per_month=8)
    for repo in scenario.repos:
        count = sum(pr.repo == repo.full_name for pr in scenario.pull_requests)
        assert count > PAGE_SIZE, f"{repo.full_name} has {count} PRs: too few for two pages"
    repo, service = scenario.repos[0].full_name, scenario.pagerduty_services[0].id
    scenario.pull_requests += [
        # merged by a since-deleted user, no merge commit recorded, labels that need quoting
        PullRequest(repo, 9001, 990_001, "Odd one", None, created_at=ago(days=3), updated_at=ago(days=2),
                    first_commit_at=ago(days=4), labels=ODD_LABELS, merged_at=ago(days=2), merge_commit_sha=None),
    ]
    scenario.incidents += [
        Incident("PODD001", 9001, "Clock skew", service, created_at=ago(hours=5), updated_at=ago(hours=4),
                 status="resolved", resolved_at=ago(hours=6)),  # resolved before it was created
    ]
    return scenario


def environment(org: SimulatedOrg, scenario: Scenario, definitions: Path) -> dict[str, str]:
    """Everything a run needs to read the simulated org with the demo's definitions."""
    return {**demo_environment(org, scenario), **FAST_RETRIES, "DORA_DEFINITIONS_DIR": str(definitions)}


class Install:
    """The session's simulated org, definitions and baseline."""

    def __init__(self, org: SimulatedOrg, env: dict[str, str], baseline_home: Home, baseline: dict, raw: dict,
                 output: str):
        self.org = org
        self.output = output  # everything the baseline run printed or logged
        self.env = env
        self.baseline_home = baseline_home
        self.baseline = baseline  # snapshot of the published history and marts
        self.raw = raw  # snapshot of the raw GitHub and PagerDuty tables

    @property
    def scenario(self) -> Scenario:
        return self.org.scenario

    @property
    def definitions(self) -> Path:
        return Path(self.env["DORA_DEFINITIONS_DIR"])


@pytest.fixture(scope="session")
def install(tmp_path_factory) -> Iterator[Install]:
    """The org serving reliability_scenario(), and one fault-free `dora run` over it."""
    scenario = reliability_scenario()
    definitions = write_demo_definitions(tmp_path_factory.mktemp("definitions"), scenario)
    with SimulatedOrg(scenario) as org:
        env = environment(org, scenario, definitions)
        home = Home(tmp_path_factory.mktemp("baseline_home"))
        printed = io.StringIO()
        logged = logging.StreamHandler(printed)
        logging.getLogger().addHandler(logged)
        try:
            with pytest.MonkeyPatch.context() as mp, redirect_stdout(printed), redirect_stderr(printed):
                for name, value in env.items():
                    mp.setenv(name, value)
                run_pipeline(home, definitions)
        finally:
            logging.getLogger().removeHandler(logged)
        yield Install(org, env, home, snapshot(home.published), raw_snapshot(home.warehouse), printed.getvalue())


@pytest.fixture
def settings(install: Install, monkeypatch: pytest.MonkeyPatch) -> Install:
    """The install's settings in this test's environment; no fault outlives the test."""
    for name, value in install.env.items():
        monkeypatch.setenv(name, value)
    yield install
    install.org.faults.clear()


def copy_home(source: Home, target: Path) -> Home:
    """A data directory in the state `source` is in (as if its runs had happened here)."""
    shutil.copytree(source.root, target, symlinks=True)  # $DORA_HOME/dbt holds links to the project
    return Home(target)


# --- comparing tables ---


def table_contents(rows: Callable[[str], list[tuple]], schemas: tuple[str, ...],
                   leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table in `schemas` (read with `rows`, on either warehouse), without
    run-dependent columns (and `leave_out`), in a fixed order; links to a simulated org read
    `ORG/...` whatever port it listened on."""
    listed = ", ".join(f"'{schema}'" for schema in schemas)
    result = {}
    for schema, table in rows(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({listed}) and table_name not like '\\_dlt\\_%' escape '\\' order by 1, 2"):
        columns = [
            name for (name,) in rows(
                "select column_name from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position")
            if name not in RUN_DEPENDENT_COLUMNS | leave_out
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        found = rows(f'select {select} from "{schema}"."{table}"')
        result[f"{schema}.{table}"] = sorted((tuple(map(_org_independent, row)) for row in found), key=repr)
    return result


def _duckdb_contents(path: Path, schemas: tuple[str, ...], leave_out: frozenset[str] = frozenset()):
    with duckdb.connect(str(path), read_only=True) as con:
        return table_contents(lambda sql: con.execute(sql).fetchall(), schemas, leave_out)


def _org_independent(value: object) -> object:
    """A test with its own org (own port) stores the same links under another host:port."""
    return ORG_URL.sub("ORG", value) if isinstance(value, str) else value


def snapshot(published: Path, leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """The published history and marts (what BI tools read)."""
    return _duckdb_contents(published, COMPARED_SCHEMAS, leave_out)


def raw_snapshot(warehouse: Path, leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    return _duckdb_contents(warehouse, RAW_DATASETS, leave_out)


def postgres_snapshot(connection, leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """The published history and marts of a PostgreSQL warehouse (a psycopg2 connection to it)."""
    def rows(sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql)  # no parameters: psycopg2 leaves % alone
            return cursor.fetchall()
    return table_contents(rows, COMPARED_SCHEMAS, leave_out)


# A history row's fingerprint of the definitions it was evaluated with: md5 of each engine's own
# text form of a row, compared only within one warehouse (dbt_project/macros/durable_history.sql).
ENGINE_SPECIFIC_COLUMNS = frozenset({"definitions_hash"})


def engine_independent(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A snapshot as both warehouses give it: numbers to 6 decimals (the engines' last bits and
    numeric types differ), instants in UTC (each driver returns its own time zone)."""
    def value(item: object) -> object:
        if isinstance(item, (float, Decimal)):
            return round(float(item), 6)
        if isinstance(item, datetime) and item.tzinfo is not None:
            return item.astimezone(timezone.utc)
        return item
    return {table: sorted((tuple(map(value, row)) for row in rows), key=repr) for table, rows in tables.items()}


# The one compared table the reliability scenario leaves empty (it has no GitLab). Every other
# expected table must have rows: two empty tables are equal without anything being checked.
EMPTY_IN_SCENARIO = frozenset({"history.merge_request_history"})


def assert_same_tables(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> None:
    """Same tables, and per table the same rows (reported table by table, with the differing rows)."""
    assert expected, "nothing to compare: no table expected"
    empty = sorted(table for table, rows in expected.items() if not rows)
    assert empty == sorted(EMPTY_IN_SCENARIO & set(expected)), f"nothing to compare in {empty}"
    assert sorted(actual) == sorted(expected)
    for table in expected:
        missing = [row for row in expected[table] if row not in actual[table]]
        extra = [row for row in actual[table] if row not in expected[table]]
        assert (missing, extra, len(actual[table])) == ([], [], len(expected[table])), (table, missing[:2], extra[:2])


# --- extraction alone ---


def extract(home: Home, source: str, *resources: str) -> dlt.Pipeline:
    """Load one source (configured from the environment, as a run does; only `resources` if
    given) into `home`'s warehouse, in as many loads as its passes take."""
    pipeline = make_pipeline(source, home)

    def configured() -> DltSource:
        made = {"github": github, "pagerduty": pagerduty}[source]()
        return made.with_resources(*resources) if resources else made

    load_until_done(configured, pipeline.run, pipeline)
    return pipeline


def cursors(home: Home, source: str) -> dict[str, dict[str, str]]:
    """Each resource's stored cursor per unit (repository): where its next read starts."""
    state = make_pipeline(source, home).state
    resources = state.get("sources", {}).get(source, {}).get("resources", {})
    return {
        name: {unit: read["cursor"] for unit, read in resource.get("units", {}).items() if "cursor" in read}
        for name, resource in resources.items()
        if any("cursor" in read for read in resource.get("units", {}).values())
    }


# --- `dora run` as a process ---


class RunProcess:
    """`dora run` in its own process group, its output collected line by line as it comes."""

    def __init__(self, home: Home, env: dict[str, str], args: list[str] | None = None):
        command = args or [str(Path(sys.executable).parent / "dora"), "run"]
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **env, "DORA_HOME": str(home.root), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the run and its dbt child are one group: killed together
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None and not condition():
                self._reader.join(5)
                raise AssertionError(f"dora run ended (exit {self.process.returncode}) before {what}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout} s:\n{self.output}")
            time.sleep(0.05)

    def wait_for_line(self, text: str, timeout: float = 120) -> None:
        self.wait_for(lambda: any(text in line for line in self.lines), f"line containing {text!r}", timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler, no cleanup, as a power cut or OOM kill."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(5)

    def finish(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code


@contextmanager
def running(home: Home, env: dict[str, str], args: list[str] | None = None) -> Iterator[RunProcess]:
    """A RunProcess that is killed if the test leaves it running."""
    run = RunProcess(home, env, args)
    try:
        yield run
    finally:
        if run.process.poll() is None:
            run.kill()


def scenario_copy(install: Install) -> Scenario:
    """The session's data, to change without touching the shared org."""
    return copy.deepcopy(install.scenario)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)
