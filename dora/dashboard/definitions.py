"""The definition seeds as the dashboard states them: which filters are in force, which thresholds.

A reader must see what counts as a deployment or an incident; an empty filter column that has a
default (definition_methods.csv) is shown with that default, since that is what dbt applies. The
files are read through dora.core.definitions, the one reader `dora define` uses too.
"""

from __future__ import annotations

from pathlib import Path

from dora.core import definitions as files

BENCHMARK_METRICS = {
    "deployments_per_week": "deployment_frequency",
    "lead_time_hours": "lead_time",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore_hours": "time_to_restore",
}


def read_definitions(definitions_dir: Path) -> dict:
    """Deployment and incident definitions with their effective filters, and the services seed.

    Before the files exist (a new install), there is nothing to show.
    """
    shown: dict = {kind: [] for kind in files.KINDS}
    if (definitions_dir / files.METHODS_FILE).exists():
        catalog = files.load_catalog(definitions_dir)
        for kind in files.KINDS:
            if files.definition_file(definitions_dir, kind).exists():
                rows = files.read_definitions(definitions_dir, kind, catalog).rows
                shown[kind] = [_definition(kind, row, catalog) for _, row in rows]
    return shown | {"services": files.read_seed(definitions_dir / "services.csv")}


def read_benchmarks(definitions_dir: Path, year: int | None) -> dict:
    """The level thresholds of the DORA report year dora_summary used (its benchmark_year), per
    dashboard metric; none before the first build."""
    rows = [r for r in files.read_seed(definitions_dir / "dora_benchmarks.csv") if r.get("report_year") == str(year)]
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


def _definition(kind: str, row: dict[str, str], catalog: files.Catalog) -> dict:
    """A definition with the filters in force: its own cells, and the method's defaults of the empty ones."""
    method = row[files.METHOD_COLUMN].strip()
    method_filters = catalog.get((kind, method), {})
    filters = []
    for name, value in row.items():
        if name in (files.ID_COLUMN, files.METHOD_COLUMN):
            continue
        if value.strip():
            filters.append({"filter": name, "value": value.strip(), "default": False})
        elif name in method_filters and method_filters[name].default:
            filters.append({"filter": name, "value": method_filters[name].default, "default": True})
    return {"definition_id": row[files.ID_COLUMN].strip(), "method": method, "filters": filters}
