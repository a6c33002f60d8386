"""The definition seeds as the dashboard states them: which filters are in force, which thresholds.

A reader must see what counts as a deployment or an incident; an empty filter column that has a
default (definition_methods.csv) is shown with that default, since that is what dbt applies.
"""

from __future__ import annotations

import csv
from pathlib import Path

BENCHMARK_METRICS = {
    "deployments_per_week": "deployment_frequency",
    "lead_time_hours": "lead_time",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore_hours": "time_to_restore",
}


def read_definitions(definitions_dir: Path) -> dict:
    """Deployment and incident definitions with their effective filters, and the services seed."""
    defaults = _method_defaults(_read_csv(definitions_dir / "definition_methods.csv"))
    return {
        kind: [
            _definition(row, defaults.get((kind, row.get("method", "")), {}))
            for row in _read_csv(definitions_dir / f"{kind}_definitions.csv")
        ]
        for kind in ("deployment", "incident")
    } | {"services": _read_csv(definitions_dir / "services.csv")}


def read_benchmarks(definitions_dir: Path, year: int | None) -> dict:
    """The level thresholds of the DORA report year dora_summary used (its benchmark_year), per
    dashboard metric; none before the first build."""
    rows = [
        r for r in _read_csv(definitions_dir / "dora_benchmarks.csv") if r.get("report_year") == str(year)
    ]
    thresholds = {}
    for r in rows:
        metric = BENCHMARK_METRICS.get(r["metric"])
        if metric is None:
            continue
        try:
            thresholds[metric] = {
                "better": r["better"],
                **{level: float(r[level]) for level in ("elite", "high", "medium")},
            }
        except (KeyError, ValueError) as error:
            raise ValueError(
                f"{definitions_dir / 'dora_benchmarks.csv'}: report_year {year}, metric {r.get('metric')}: "
                f"bad threshold ({error})"
            ) from error
    return {"report_year": year if thresholds else None, "thresholds": thresholds}


def _definition(row: dict, defaults: dict[str, str]) -> dict:
    filters = []
    for column, value in row.items():
        if column in ("definition_id", "method"):
            continue
        if value:
            filters.append({"filter": column, "value": value, "default": False})
        elif defaults.get(column):
            filters.append({"filter": column, "value": defaults[column], "default": True})
    return {"definition_id": row.get("definition_id", ""), "method": row.get("method", ""), "filters": filters}


def _method_defaults(rows: list[dict]) -> dict[tuple[str, str], dict[str, str]]:
    defaults: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        if r.get("default_value"):
            defaults.setdefault((r["kind"], r["method"]), {})[r["filter"]] = r["default_value"]
    return defaults


def _read_csv(path: Path) -> list[dict]:
    """A seed's rows as dicts of stripped text; a missing seed reads as no rows."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(f)]
