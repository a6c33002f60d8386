"""Guards on the private parts of dagster-dbt and dagster-dlt this project overrides or relies on.

An upgrade that renames, reshapes or stops calling one of them would not break a run: the
override would silently stop applying (dbt's ~7 s of probes back in every build, dagster-dlt's
KeyError on a second materialization back). These tests fail instead, naming what changed.
"""

from __future__ import annotations

import inspect
from functools import cached_property

import pytest
from dagster_dbt import DbtCliResource, DbtProject, DbtProjectPreparer
from dagster_dlt import DagsterDltResource
from dagster_shared.record import replace

from dora.core.home import DBT_PROJECT_DIR
from orchestration.dbt_install import DoraDbtCliResource, InstallPreparer
from orchestration.ingestion import DltResource

# (our subclass, the library's class, the private method overridden, its parameters, the library
# method that must still call it, and how that call reads)
OVERRIDES = [
    (DoraDbtCliResource, DbtCliResource, "_initialize_dbt_core_adapter", ["self", "args"],
     "cli", "self._initialize_dbt_core_adapter(args)"),
    (DoraDbtCliResource, DbtCliResource, "_cli_version", None, "cli", "self._cli_version"),
    (DltResource, DagsterDltResource, "_extract_table_schema_metadata", ["self", "table_name", "schema"],
     "extract_resource_metadata", "self._extract_table_schema_metadata("),
]


@pytest.mark.parametrize("ours, base, name, parameters, caller, call", OVERRIDES, ids=[o[2] for o in OVERRIDES])
def test_each_overridden_private_method_still_exists_with_its_shape_and_is_still_called(
    ours, base, name, parameters, caller, call
):
    where = f"{base.__module__}.{base.__name__}.{name} (overridden by {ours.__module__}.{ours.__name__})"
    assert name in ours.__dict__, f"{ours.__name__} no longer overrides {name}"
    original = inspect.getattr_static(base, name, None)
    assert original is not None, f"{where} is gone: the override no longer applies"
    if parameters is None:  # a cached property
        assert isinstance(original, cached_property), f"{where} is no longer a cached_property"
        assert isinstance(inspect.getattr_static(ours, name), cached_property)
    else:
        assert list(inspect.signature(original).parameters) == parameters, f"{where} changed its parameters"
        assert list(inspect.signature(getattr(ours, name)).parameters) == parameters
    assert call in inspect.getsource(getattr(base, caller)), f"{base.__name__}.{caller} no longer calls {call!r}"


class RecordingPreparer(DbtProjectPreparer):
    def __init__(self):
        self.calls = []

    def prepare_if_dev(self, project):
        self.calls.append(("prepare_if_dev", project.project_dir))


def test_a_project_takes_our_preparer_and_asks_it_whether_to_prepare():
    """DbtProject has no preparer argument: orchestration/dbt_install.py swaps it in with
    dagster_shared.record.replace, and DbtProject.prepare_if_dev must hand the decision to it."""
    preparer = RecordingPreparer()
    project = replace(DbtProject(project_dir=DBT_PROJECT_DIR), preparer=preparer)
    assert project.preparer is preparer
    assert project.manifest_path == DBT_PROJECT_DIR / "target" / "manifest.json"
    project.prepare_if_dev()
    assert preparer.calls == [("prepare_if_dev", DBT_PROJECT_DIR)]
    for name in ("prepare", "prepare_if_dev"):
        assert list(inspect.signature(getattr(DbtProjectPreparer, name)).parameters) == ["self", "project"]
        assert name in InstallPreparer.__dict__
