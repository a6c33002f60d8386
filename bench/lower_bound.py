"""The lower bound: bench/lower_bound.sql rendered for an engine (Jinja, as dbt renders its models)
and run in one session, timed."""

from __future__ import annotations

import csv
import time
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from bench.engines import Engine

LOWER_BOUND_SQL = Path(__file__).with_name("lower_bound.sql")


def statements(engine: str, services_csv: Path, window_end: datetime) -> list[str]:
    with services_csv.open(newline="") as file:
        services = list(csv.DictReader(file))
    script = jinja2.Template(LOWER_BOUND_SQL.read_text()).render(
        duckdb=engine == "duckdb", services=services, window_end=f"{window_end:%Y-%m-%d %H:%M:%S}")
    return [statement for statement in script.split(";\n") if statement.strip()]


def lower_bound(engine: Engine, warehouse, services_csv: Path) -> float:
    """Seconds to compute the marts into the schema `lower_bound` of `warehouse`."""
    window_end = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    script = statements(engine.name, services_csv, window_end)
    started = time.perf_counter()
    engine.execute(warehouse, script)
    return time.perf_counter() - started
