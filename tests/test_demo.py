"""`dora demo`'s own directory and definition files, without running the pipeline (the whole demo
runs in test_orchestration.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from dora.demo import DEMO_MARKER, demo_home, write_demo_definitions
from dora.core.home import Home
from simorg.generate import demo_scenario


def test_a_second_demo_run_keeps_the_edited_definitions(tmp_path):
    scenario = demo_scenario(datetime(2026, 11, 20, tzinfo=timezone.utc))
    directory = write_demo_definitions(tmp_path / "definitions", scenario)
    deployments = directory / "deployment_definitions.csv"
    assert deployments.read_text().splitlines()[1:] == [
        "deploy-workflow,workflow_run,,main,,,,deploy,,,,,,,,,,,",
        "gitlab-main-pipelines,gitlab_pipeline,,main,,,,,push,,,,,,,,,,",
    ]
    edited = deployments.read_text() + "releases,release,acme/*,,,,,,,,v*,,,,,,,,\n"
    deployments.write_text(edited)
    (directory / "services.csv").unlink()

    write_demo_definitions(directory, scenario)
    assert deployments.read_text() == edited
    # a deleted file comes back as the demo's: acme's repositories by product
    assert (directory / "services.csv").read_text().splitlines()[1] == "checkout,Storefront,acme/checkout-*,checkout,,"


def test_the_demo_directory_is_not_nested_when_dora_home_is_already_the_demos(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "data"))
    assert demo_home() == Home(tmp_path / "data" / "demo")

    # the path the demo prints, after a run (its marker) or before any (nothing there yet)
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "data" / "demo"))
    assert demo_home() == Home(tmp_path / "data" / "demo")
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "demo" / DEMO_MARKER).write_text("")
    (tmp_path / "data" / "demo" / "warehouse.duckdb").write_text("")
    assert demo_home() == Home(tmp_path / "data" / "demo")

    # a real install that happens to be called `demo` never receives simulated records
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "work" / "demo"))
    (tmp_path / "work" / "demo").mkdir(parents=True)
    (tmp_path / "work" / "demo" / "warehouse.duckdb").write_text("")
    assert demo_home() == Home(tmp_path / "work" / "demo" / "demo")
