"""Fixtures every test module may use. Module-specific fixtures live in their own test files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema

from dora.core.home import Home
from bench.postgres_cluster import PostgresCluster

DATA = Path(__file__).parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files holding `slow` tests first: pytest-xdist hands the workers whole files in this
    order (`--dist loadfile --no-loadscope-reorder`, pyproject.toml), so the longest work is not
    left for one worker at the end (its default order, by number of tests, ran them last)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: file order otherwise


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    """A fresh, empty DORA_HOME for one test."""
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "dora_home"))
    return Home.from_env().ensure()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL server for the whole session; one that cannot start fails the tests."""
    cluster = PostgresCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def github_schema() -> GraphQLSchema:
    """GitHub's public GraphQL schema (tests/data/README.md says where it comes from); ~1.5 s to build."""
    return build_schema((DATA / "github-schema.graphql").read_text(), assume_valid=True)
