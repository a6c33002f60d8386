"""Fixtures every test module may use. Module-specific fixtures live in their own test files."""

from __future__ import annotations

import pytest

from dora.core.home import Home


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    """A fresh, empty DORA_HOME for one test."""
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "dora_home"))
    return Home.from_env().ensure()
