"""Which repositories' pull requests are read with their changed files: those that a services.csv
row with `paths` names (services inside a monorepo), and those that a merged_pr deployment
definition with a `paths` filter names (a merged PR counts only when a file it changed matches).
Files cost GraphQL points (docs/benchmarks.md), so no other repository's are asked for.

A row's `repository` glob names the repositories its `paths` apply to (empty: every repository).
The glob is matched by DuckDB's GLOB, the rule dbt applies on every warehouse
(macros/definition_filters.sql), with the same leading `!` negation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dora.core.definitions import SERVICES_FILE, definition_file, read_seed


def repositories_with_paths(definitions: Path) -> list[str]:
    """The `repository` globs ('' = any repository) of every services.csv row with a non-empty
    `paths` cell and of every merged_pr deployment definition with one."""
    rows = read_seed(definitions / SERVICES_FILE) + [
        row for row in read_seed(definition_file(definitions, "deployment")) if row.get("method") == "merged_pr"]
    return sorted({row.get("repository", "") for row in rows if row.get("paths")})


def names_repositories(patterns: list[str], repositories: list[str]) -> set[str]:
    """The repositories one of the globs matches. One in-memory DuckDB for the whole list: opening
    one costs ~45 ms, and a run asks for every repository of the organisation."""
    if not patterns:
        return set()
    with duckdb.connect() as connection:
        return {repository for repository in repositories
                if any(_matches(connection, pattern, repository) for pattern in patterns)}


def _matches(connection: duckdb.DuckDBPyConnection, pattern: str, repository: str) -> bool:
    """Definition filter rules: '' matches any repository, a leading `!` negates."""
    negated = pattern.startswith("!")
    glob = pattern[1:] if negated else pattern
    matched = not glob or connection.execute("select ? glob ?", [repository, glob]).fetchone()[0]
    return matched != negated
