"""How many stored records a new definition would match, read from the published history.

The match is a predicate built from the filter semantics of dora.core.definitions, in the
published warehouse's SQL (dora.core.published: DuckDB's GLOB, or a translated regular expression
on PostgreSQL); dbt evaluates the same semantics in macros/definition_filters.sql.
tests/test_definitions_in_dbt.py runs both on the same cases, and compares the preview's counts
with what a dbt build then matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dora.core.definitions import LIST_FILTERS, METHOD_COLUMN, Catalog, effective_filters
from dora.core.published import PublishedMarts, PublishedReader, published_marts

HISTORY_TABLES = {"deployment": "history.deployment_history", "incident": "history.incident_history"}


def match_sql(reader: PublishedReader, patterns: dict[str, str]) -> tuple[str, list[str]]:
    """A predicate (and its parameters) for the filter semantics; values are never in the SQL."""
    clauses, parameters = [], []
    for name, pattern in patterns.items():
        negated = pattern.startswith("!")
        if name in LIST_FILTERS:
            test = reader.any_glob_match(f'"{LIST_FILTERS[name]}"')
        else:
            test = reader.glob_match(f'coalesce("{name}", \'\')')
        clauses.append(f"not ({test})" if negated else f"({test})")
        parameters.append(reader.glob_parameter(pattern[1:] if negated else pattern))
    return " and ".join(clauses) or "true", parameters


@dataclass(frozen=True)
class Preview:
    matched: int
    candidates: int


def preview(published: PublishedMarts | Path, kind: str, row: dict[str, str], catalog: Catalog) -> Preview | None:
    """How many candidate records (distinct `candidate_id`) of the published history this definition
    matches, out of all candidates of its method; None when nothing is published yet.

    Reads the published tables read-only, never what a run builds, so it works while a run holds
    the write lock.
    """
    published = published_marts(published)
    if not published.exists():
        return None
    table = HISTORY_TABLES[kind]
    with published.connect() as reader:
        if table not in reader.tables():
            return None
        predicate, parameters = match_sql(reader, effective_filters(kind, row, catalog))
        [(matched, candidates)] = reader.rows(
            f"select count(distinct candidate_id) filter (where {predicate}), count(distinct candidate_id) "
            f"from {table} where method = ?",
            [*parameters, row[METHOD_COLUMN]])
    return Preview(matched, candidates)
