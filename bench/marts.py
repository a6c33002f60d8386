"""The five marts read back for comparison: row for row, within an engine or across engines."""

from __future__ import annotations

from collections import Counter

from bench.engines import Engine, normalized

MARTS = ("deployments", "changes", "incidents", "dora_weekly", "dora_summary")


def columns(engine: Engine, warehouse, schema: str, mart: str) -> list[str]:
    return [row[0] for row in engine.rows(warehouse, (
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{mart}' order by ordinal_position"))]


def mart_rows(engine: Engine, warehouse, schema: str, mart: str, names: list[str]) -> Counter:
    """The mart's rows over `names` as a multiset, values normalized (floats to 6 decimals)."""
    rows = engine.rows(warehouse, f"select {', '.join(names)} from {schema}.{mart}")
    return Counter(tuple(normalized(value) for value in row) for row in rows)


def mart_differences(left: tuple[Engine, object, str], right: tuple[Engine, object, str]) -> dict[str, int]:
    """Rows of each mart present on one side only (each side an engine, a warehouse and a schema),
    over the columns the right side has: the lower bound computes fewer columns than the dbt marts."""
    differences = {}
    for mart in MARTS:
        names = columns(*right, mart)
        ours, theirs = (mart_rows(*side, mart, names) for side in (left, right))
        differences[mart] = sum(((ours - theirs) + (theirs - ours)).values())
    return differences


def mart_counts(engine: Engine, warehouse, schema: str) -> dict[str, int]:
    return {mart: engine.rows(warehouse, f"select count(*) from {schema}.{mart}")[0][0] for mart in MARTS}
