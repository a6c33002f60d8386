"""How many stored records a new definition would match, read from the published history.

The match is a DuckDB predicate built from the filter semantics of dora.core.definitions; dbt
evaluates the same semantics in macros/definition_filters.sql. tests/test_definitions_in_dbt.py
runs both on the same cases, and compares the preview's counts with what a dbt build then matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dora.core.definitions import LIST_FILTERS, METHOD_COLUMN, Catalog, effective_filters

HISTORY_TABLES = {"deployment": "history.deployment_history", "incident": "history.incident_history"}


def match_sql(patterns: dict[str, str]) -> tuple[str, list[str]]:
    """A DuckDB predicate (and its parameters) for the filter semantics; values are never in the SQL."""
    clauses, parameters = [], []
    for name, pattern in patterns.items():
        negated = pattern.startswith("!")
        if name in LIST_FILTERS:
            test = f'coalesce(len(list_filter("{LIST_FILTERS[name]}", lambda value: value glob ?)), 0) > 0'
        else:
            test = f'coalesce("{name}", \'\') glob ?'
        clauses.append(f"not ({test})" if negated else f"({test})")
        parameters.append(pattern[1:] if negated else pattern)
    return " and ".join(clauses) or "true", parameters


@dataclass(frozen=True)
class Preview:
    matched: int
    candidates: int


def preview(published: Path, kind: str, row: dict[str, str], catalog: Catalog) -> Preview | None:
    """How many candidate records (distinct `candidate_id`) of the published history this definition
    matches, out of all candidates of its method; None when nothing is published yet.

    Reads the published copy read-only, never the warehouse, so it works while a run holds the write lock.
    """
    if not published.exists():
        return None
    predicate, parameters = match_sql(effective_filters(kind, row, catalog))
    connection = duckdb.connect(str(published), read_only=True)
    try:
        table = HISTORY_TABLES[kind]
        schema, name = table.split(".")
        exists = connection.execute("select count(*) from information_schema.tables where table_schema = ? "
                                    "and table_name = ?", [schema, name]).fetchall()[0][0]
        if not exists:
            return None
        matched, candidates = connection.execute(
            f"select count(distinct candidate_id) filter (where {predicate}), count(distinct candidate_id) "
            f"from {table} where method = ?",
            [*parameters, row[METHOD_COLUMN]]).fetchall()[0]
    finally:
        connection.close()
    return Preview(matched, candidates)
