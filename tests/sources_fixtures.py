"""Helpers for the extraction tests: fast retries, running a source into a temp warehouse, and
reading back what it stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import dlt
import duckdb
import pytest

from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dora.core.home import Home

# Whole seconds, like the APIs; every scenario time is written relative to it.
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's own [runtime] retry settings, shortened so fault tests take seconds: no exponential
    backoff, Retry-After capped at 1 s, a 5 s timeout."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "1")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "5")


def github_source(org: Any, **kwargs: Any) -> Any:
    settings = {
        "access_token": org.scenario.github_token,
        "repositories": [repo.full_name for repo in org.scenario.repos],
        "base_url": org.github_url,
        "max_rate_limit_wait": 10,
    }
    return github(**{**settings, **kwargs})


def pagerduty_source(org: Any, **kwargs: Any) -> Any:
    settings = {"api_key": org.scenario.pagerduty_token, "base_url": org.pagerduty_url, "max_rate_limit_wait": 10}
    return pagerduty(**{**settings, **kwargs})


def run(home: Home, source: Any) -> dlt.Pipeline:
    """Load `source` with a freshly attached pipeline, as a new process would."""
    pipeline = make_pipeline(source.name, home)
    pipeline.run(source)
    return pipeline


def rows(home: Home, dataset: str, sql: str) -> list[tuple]:
    """Query results; `{t}` in `sql` is replaced by the dataset name."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.sql(sql.format(t=dataset)).fetchall()


def cursor(home: Home, source: str, resource: str, field: str) -> Any:
    """The stored incremental cursor of a resource (what the next run starts from)."""
    state = make_pipeline(source, home).state
    return state["sources"][source]["resources"][resource]["incremental"][field]["last_value"]
