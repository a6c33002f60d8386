"""An install's dbt project (orchestration/dbt_install.py) is parsed in the pipeline's own process:
a project dbt cannot parse stops with dbt's reason and the directory, not a subprocess's exit code.
(That the parse leaves the DuckDB warehouse free for the build's dbt process, every end-to-end
test shows: each fresh install parses, then builds.)"""

import shutil

import pytest
from dagster_dbt import DbtProject

from dora.core.home import DBT_PROJECT_DIR
from orchestration.dbt_install import InstallPreparer, ProjectNotParsed


def test_a_project_dbt_cannot_parse_stops_with_dbts_reason_naming_the_file(tmp_path, monkeypatch):
    project_dir = shutil.copytree(DBT_PROJECT_DIR, tmp_path / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    (project_dir / "models" / "marts" / "deployments.yml").write_text("models: [\n")  # an unclosed YAML list
    monkeypatch.setenv("DORA_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))

    with pytest.raises(ProjectNotParsed) as raised:
        InstallPreparer().prepare(DbtProject(project_dir=project_dir, profiles_dir=project_dir))

    message = str(raised.value)
    assert message.startswith(f"dbt could not parse the project in {project_dir}: ")
    assert "Error reading dora: marts/deployments.yml" in message
    assert not (project_dir / "target" / "manifest.json").exists()
