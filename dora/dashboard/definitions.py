"""The definition seeds as the dashboard states them: which filters are in force.

A reader must see what counts as a deployment, an incident or rework; an empty filter column that
has a default (definition_methods.csv) is shown with that default, since that is what dbt applies. The
files are read through dora.core.definitions, the one reader `dora define` uses too.
"""

from __future__ import annotations

from pathlib import Path

from dora.core import definitions as files


def read_definitions(definitions_dir: Path) -> dict:
    """Deployment, incident and rework definitions with their effective filters, and the services seed.

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
