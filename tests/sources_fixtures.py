"""Helpers for the extraction tests: fast retries, running a source into a temp warehouse, and
reading back what it stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import dlt
import duckdb
import pytest

from dlt_sources.github import github
from dlt_sources.pagerduty import pagerduty
from dlt_sources.pipelines import make_pipeline
from dlt_sources.progress import load_until_done
from dlt_sources.rows import parse_time
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
    """Load `source` once with a freshly attached pipeline, as a new process would."""
    pipeline = make_pipeline(source.name, home)
    pipeline.run(source)
    return pipeline


def run_until_done(home: Home, make_source: Callable[[], Any]) -> list[Any]:
    """Run as `dora run` does: loads until every pass is done (or a rate limit stops them:
    SourceError); the LoadInfo of each load."""
    pipeline = make_pipeline(make_source().name, home)
    loads: list[Any] = []
    load_until_done(make_source, lambda source: loads.append(pipeline.run(source)), pipeline)
    return loads


def rows(home: Home, dataset: str, sql: str) -> list[tuple]:
    """Query results; `{t}` in `sql` is replaced by the dataset name."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.sql(sql.format(t=dataset)).fetchall()


def resource_state(home: Home, source: str, resource: str) -> dict[str, Any]:
    """A resource's committed dlt state: per unit (repository, project) its cursor and read, and
    the pass (dlt_sources.progress)."""
    return make_pipeline(source, home).state["sources"][source]["resources"][resource]


def cursor(home: Home, source: str, resource: str, unit: str) -> Any:
    """The stored cursor of one unit of a resource (what its next read starts from, minus lookback)."""
    return parse_time(resource_state(home, source, resource)["units"][unit].get("cursor"))
