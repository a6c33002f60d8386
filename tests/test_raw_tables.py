"""The raw-table contract (dora.core.raw_tables: the dbt sources YAML) against what writes it and
what is derived from it: every dlt resource's column hints, how dlt loads it, docs/raw-tables.md.

A column added to a dlt resource and not to the contract (or the other way round) fails here,
naming the table, the column and the YAML file to edit. What dlt actually wrote is compared with
the contract too, on warehouses the end-to-end tests load anyway (test_end_to_end.py,
test_gitlab_jira_end_to_end.py).
"""

from __future__ import annotations

import dlt
import pytest

from dora.core.home import PROJECT_ROOT
from dora.core.raw_tables import DLT_COLUMNS, SOURCES_DIR, contract, markdown
from orchestration.ingestion import graph_sources

DOCS = PROJECT_ROOT / "docs" / "raw-tables.md"
SOURCES = SOURCES_DIR.relative_to(PROJECT_ROOT)
TYPES = dlt.destinations.duckdb().capabilities().get_type_mapper()


def resources():
    """(qualified table name, computed dlt table schema) of every resource of every source the
    asset graph loads."""
    return [
        (f"raw_{source_name}.{resource.table_name}", resource.compute_table_schema())
        for source_name, source in graph_sources().items()
        for resource in source.resources.values()
    ]


def hinted_columns(table_schema) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each hinted column, as dlt's DuckDB destination creates it."""
    return [(name, TYPES.to_destination_type(column, table_schema).lower())
            for name, column in table_schema["columns"].items()]


def test_every_dlt_resource_hints_exactly_the_contracted_columns_in_order():
    contracted_tables = contract()
    problems = []
    for table, schema in resources():
        if table not in contracted_tables:
            problems.append(f"{table}: loaded by dlt, missing from the contract ({SOURCES}/_<source>__sources.yml)")
            continue
        contracted = [(column.name, column.data_type) for column in contracted_tables[table].columns
                      if column.name not in DLT_COLUMNS]
        hinted = hinted_columns(schema)
        yaml_file = f"{SOURCES}/_{table.split('.')[0].removeprefix('raw_')}__sources.yml"
        differences = [f"{table}: dlt hints {name} {data_type}, the contract does not; add it to {yaml_file}"
                       for name, data_type in hinted if (name, data_type) not in contracted]
        differences += [f"{table}: the contract ({yaml_file}) has {name} {data_type}, dlt does not hint it"
                        for name, data_type in contracted if (name, data_type) not in hinted]
        if not differences and hinted != contracted:
            differences.append(f"{table}: the same columns in another order: dlt {hinted}, {yaml_file} {contracted}")
        problems += differences
    loaded = {table for table, _ in resources()}
    problems += [f"{table}: in the contract, loaded by no dlt resource" for table in contracted_tables if table not in loaded]
    assert not problems, "\n".join(problems)


def test_the_contract_knows_every_raw_table_the_tests_and_bench_write():
    assert sorted(contract()) == [
        "raw_custom.cdevents", "raw_custom.deployments", "raw_custom.incidents",
        "raw_github.deployments", "raw_github.issues", "raw_github.pull_requests", "raw_github.releases",
        "raw_github.workflow_runs",
        "raw_gitlab.deployments", "raw_gitlab.jobs", "raw_gitlab.merge_requests", "raw_gitlab.pipelines",
        "raw_jira.issues", "raw_jira.status_changes",
        "raw_pagerduty.incidents", "raw_pagerduty.services",
    ]
    # dlt adds its two columns, last, to every table it loads
    for table in contract().values():
        assert [(c.name, c.data_type) for c in table.columns[-2:]] == [("_dlt_load_id", "varchar"), ("_dlt_id", "varchar")]


@pytest.mark.parametrize("table, schema", resources(), ids=[table for table, _ in resources()])
def test_every_resource_merges_on_id_and_loads_as_jsonl(table, schema):
    """JSONL: DuckDB reads it with its own reader; dlt's default (INSERT statements) is ~6x slower
    and takes ~60 KiB of memory per row (dlt_sources/rows.py LOAD_FILE_FORMAT)."""
    primary_key = [name for name, column in schema["columns"].items() if column.get("primary_key")]
    assert (schema["write_disposition"], primary_key, schema.get("file_format")) == ("merge", ["id"], "jsonl")


def test_docs_raw_tables_is_generated_from_the_contract():
    assert DOCS.read_text() == markdown(), "regenerate it: python -m dora.core.raw_tables > docs/raw-tables.md"
