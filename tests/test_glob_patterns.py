"""Definition and services.csv cells are globs with DuckDB GLOB's rules on every warehouse.

Postgres has no GLOB: macros/adapters/postgres.sql translates each glob into a regular expression.
The cases below are worked out from GLOB's rules; the random patterns compare that translation
with DuckDB's GLOB itself, the reference.
"""

from __future__ import annotations

import itertools
import random

import duckdb
import pytest

from dbt_fixtures import DbtProjectCopy, engine_project, execute

# (cell, value, matches): a value of None is a missing value (matched as '')
CASES = [
    ("main", "main", True), ("main", "Main", False),  # case-sensitive
    ("main", "mainline", False), ("line", "mainline", False),  # the whole value
    ("release/*", "release/1.2", True), ("release/*", "release/", True), ("*", "", True),
    ("release/?.?", "release/1.2", True), ("release/?.?", "release/1.10", False), ("?", "", False),
    ("v?", "vé", True),  # ? is one character, not one byte
    ("[abc]x", "bx", True), ("[abc]x", "dx", False),
    ("[!abc]x", "dx", True), ("[!abc]x", "ax", False), ("[^a]", "b", False),  # ! negates a set, ^ does not
    ("v[0-9]*", "v1.0", True), ("v[0-9]*", "vx", False),
    ("[]]", "]", True), ("[a-]", "-", True), ("[a-]", "b", False),  # ] first and - last are literal
    ("[z-a]", "m", False), ("[z-aq]", "q", True),  # a reversed range matches nothing
    ("a.c", "abc", False), ("a.c", "a.c", True), ("a+(b)|c$", "a+(b)|c$", True),  # no regex syntax
    ("[.]", "x", False), ("[\\]", "\\", True),  # nor inside a set
    ("a\\*c", "a*c", True), ("a\\*c", "abc", False),  # \ escapes
    ("[abc", "[abc", False), ("a\\", "a\\", False),  # an unclosed set, a trailing \: nothing matches
    ("![abc", "x", True),  # ... and its negation everything
    ("!main", "main", False), ("!main", "develop", True), ("!*bot*", "dependabot[bot]", False),
    ("", "anything", True), (None, "anything", True),  # an empty cell matches anything
    ("?*", None, False), ("!?*", None, True),  # a missing value is ''
]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def project(request, tmp_path_factory) -> DbtProjectCopy:
    return engine_project(request, tmp_path_factory, "globs")


def test_filter_cells_match_by_glob_rules(project):
    execute(project.warehouse, "create table cases (position integer, cell varchar, value varchar)")
    for position, (cell, value, _) in enumerate(CASES):
        execute(project.warehouse, f"insert into cases values ({position}, {quoted(cell)}, {quoted(value)})")
    sql = project.compiled("""
        select cell, value, {{ filter_matches('value', 'pattern') }} as matches
        from (select *, {{ filter_pattern('cell') }} as pattern from cases) as compiled
        order by position""")
    assert execute(project.warehouse, sql) == CASES


@pytest.mark.parametrize("project", ["postgres"], indirect=True)
def test_postgres_globs_match_what_duckdb_glob_matches(project):
    generator = random.Random(16)
    pattern_characters, value_characters = "ab-][!*?\\.^$é(|{}+z", "ab-][!*?\\.^$é(z\n"
    patterns = sorted({"".join(generator.choices(pattern_characters, k=generator.randint(0, 6))) for _ in range(2000)})
    values = sorted({"".join(characters) for length in range(3) for characters in
                     itertools.product(value_characters, repeat=length)}
                    | {"".join(generator.choices(value_characters, k=generator.randint(3, 6))) for _ in range(100)})
    reference = duckdb.connect()
    for table, column, words in (("patterns", "pattern", patterns), ("subjects", "value", values)):
        reference.execute(f"create table {table} as select unnest(?::varchar[]) as {column}", [words])
        execute(project.warehouse, f"create table {table} as select unnest(%s::varchar[]) as {column}", [words])
    expected = set(reference.execute(
        "select pattern, value from patterns cross join subjects where value glob pattern").fetchall())
    matched = set(execute(project.warehouse, project.compiled("""
        with translated as materialized (select pattern, {{ glob_pattern('pattern') }} as regex from patterns)
        select pattern, value
        from translated cross join subjects
        where {{ glob_matches('value', 'regex') }}""")))
    assert len(expected) > 1000  # the patterns are not all degenerate
    assert sorted(matched - expected)[:20] == [] and sorted(expected - matched)[:20] == []


def quoted(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"
