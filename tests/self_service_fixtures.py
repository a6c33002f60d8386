"""Fixtures of the self-service tests: a temp copy of the definition seeds and a hand-made published file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dora.core.home import DBT_PROJECT_DIR, Home


@pytest.fixture
def seeds(tmp_path, monkeypatch) -> Path:
    """A private copy of the dbt seeds, selected with DORA_DEFINITIONS_DIR (the real seeds stay untouched)."""
    directory = tmp_path / "seeds"
    shutil.copytree(DBT_PROJECT_DIR / "seeds", directory)
    monkeypatch.setenv("DORA_DEFINITIONS_DIR", str(directory))
    return directory


# The published history, one row per evaluated candidate (wr-1 appears twice: two versions).
DEPLOYMENT_HISTORY = [
    # candidate_id, method, repository, branch, labels, workflow, conclusion, files (merged_pr: changed paths;
    # None where they were not read)
    ("wr-1", "workflow_run", "acme/web", "main", None, "deploy-prod", "success", None),
    ("wr-1", "workflow_run", "acme/web", "main", None, "deploy-prod", "success", None),
    ("wr-2", "workflow_run", "acme/api", "main", None, "deploy-staging", "success", None),
    ("wr-3", "workflow_run", "acme/web", "main", None, "deploy-prod", "failure", None),
    ("wr-4", "workflow_run", "other/web", "main", None, "deploy-prod", "success", None),
    ("wr-5", "workflow_run", "acme/web", "feature", None, "build", "success", None),
    ("wr-6", "workflow_run", "evil/x' or 1=1", "main", None, "deploy", "success", None),
    ("pr-1", "merged_pr", "acme/web", "main", ["hotfix", "backend"], None, None, ["services/api/a.py"]),
    ("pr-2", "merged_pr", "acme/web", "main", [], None, None, ["services/web/b.ts", "README.md"]),
    ("pr-3", "merged_pr", "acme/web", "main", None, None, None, None),
    ("pr-4", "merged_pr", "acme/api", "main", ["Hotfix"], None, None, []),
]
INCIDENT_HISTORY = [
    # candidate_id, method, service, urgency
    ("pd-1", "pagerduty", "checkout-api", "high"),
    ("pd-2", "pagerduty", "checkout-web", "low"),
    ("pd-3", "pagerduty", "payments", "high"),
]


@pytest.fixture
def published(home: Home) -> Path:
    """A published DuckDB file with the two history tables, shaped like the dbt history models."""
    connection = duckdb.connect(str(home.published))
    connection.execute("create schema history")
    connection.execute("""create table history.deployment_history (
        candidate_id varchar, method varchar, repository varchar, branch varchar, labels varchar[],
        author varchar, title varchar, workflow varchar, event varchar, conclusion varchar, tag varchar,
        environment varchar, state varchar, service varchar, files varchar[], is_deployment boolean)""")
    connection.executemany("""insert into history.deployment_history
        (candidate_id, method, repository, branch, labels, workflow, conclusion, files) values (?, ?, ?, ?, ?, ?, ?, ?)""",
                           DEPLOYMENT_HISTORY)
    connection.execute("""create table history.incident_history (candidate_id varchar, method varchar,
        service varchar, urgency varchar, priority varchar, team varchar, title varchar, is_incident boolean)""")
    connection.executemany("insert into history.incident_history (candidate_id, method, service, urgency) "
                           "values (?, ?, ?, ?)", INCIDENT_HISTORY)
    connection.close()
    return home.published


@pytest.fixture
def warehouse_write_lock(home: Home):
    """Another process holding DuckDB's write lock on the warehouse, as a running pipeline does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "c.execute('create table if not exists held (x int)'); print('locked', flush=True); "
                               "sys.stdin.read()", str(home.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(duckdb.IOException):  # proves the lock is really held
        duckdb.connect(str(home.warehouse))
    yield holder
    holder.stdin.close()
    holder.wait(timeout=30)
