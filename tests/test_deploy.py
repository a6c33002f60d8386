"""deploy/: the compose file parses and its services fit together with deploy/dagster.yaml, and
Dagster itself loads that dagster.yaml (`dagster instance info`) against a PostgreSQL database of
the test cluster, as the deployment's webserver and daemon would. No Docker, no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import DagsterInstance

from dora.core.home import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def test_compose_runs_postgres_the_code_location_the_webserver_and_one_daemon():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert sorted(services) == ["code_location", "daemon", "postgres", "webserver"]
    assert [services[name]["command"][0] for name in ("code_location", "webserver", "daemon")] == [
        "dagster", "dagster-webserver", "dagster-daemon"]
    for name in ("code_location", "webserver", "daemon"):  # the project's image, on the warehouse postgres
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert services[name]["environment"]["WAREHOUSE"] == "postgres"
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["daemon"]["volumes"]  # it starts the runs
    # the files it names are in deploy/
    assert (DEPLOY / services["postgres"]["volumes"][1].split(":")[0]).is_file()
    assert (DEPLOY / services["code_location"]["env_file"]).with_suffix(".env.example").is_file()
    assert (PROJECT_ROOT / services["code_location"]["build"]["dockerfile"]).is_file()
    # the webserver and the daemon find the code location where compose serves it
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"][0]["grpc_server"]
    code_location = services["code_location"]["command"]
    assert (workspace["host"], str(workspace["port"])) == ("code_location", code_location[code_location.index("-p") + 1])


def test_each_run_container_gets_the_network_and_data_directory_compose_names():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    launcher = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["config"]
    assert launcher["network"] == compose["networks"]["dora"]["name"]
    assert launcher["container_kwargs"]["volumes"] == [f"{compose['volumes']['dora_home']['name']}:/var/lib/dora"]
    assert {"DESTINATION__POSTGRES__CREDENTIALS", "WAREHOUSE", "DORA_HOME"} <= set(launcher["env_vars"])


def instance_info(dagster_yaml: str, postgres_cluster, tmp_path: Path) -> subprocess.CompletedProcess:
    """`dagster instance info` with DAGSTER_HOME holding `dagster_yaml`, its storage a new database."""
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml)
    database = postgres_cluster.create_database()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_HOST": "127.0.0.1",
           "DAGSTER_POSTGRES_PORT": str(postgres_cluster.port), "DAGSTER_POSTGRES_USER": "dora",
           "DAGSTER_POSTGRES_PASSWORD": "unused", "DAGSTER_POSTGRES_DB": database}
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent))
    info = subprocess.run([dagster, "instance", "info"], env=env, capture_output=True, text=True, timeout=120)
    info.args_env = {name: env[name] for name in env if name.startswith("DAGSTER_")}  # to load it again
    return info


def test_dagster_loads_the_deployments_instance_with_postgres_storage_and_one_run_at_a_time(
        postgres_cluster, tmp_path, monkeypatch):
    info = instance_info((DEPLOY / "dagster.yaml").read_text(), postgres_cluster, tmp_path)
    assert info.returncode == 0, info.stdout + info.stderr
    for expected in ("run_storage: PostgresRunStorage", "event_log_storage: PostgresEventLogStorage",
                     "schedule_storage: PostgresScheduleStorage", "class: DockerRunLauncher", "run_monitoring:\n  enabled: true"):
        assert expected in info.stdout, f"{expected} not in:\n{info.stdout}"
    # `instance info` leaves the run coordinator unloaded: load it as the daemon does
    for name, value in info.args_env.items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.get() as instance:
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert coordinator.get_run_queue_config().max_concurrent_runs == 1
        assert [(limit["key"], limit["limit"]) for limit in coordinator.get_run_queue_config().tag_concurrency_limits] == [
            ("dora/warehouse", 1)]
        assert instance.run_monitoring_enabled and instance.run_launcher.supports_check_run_worker_health


def test_dagster_refuses_a_misconfigured_instance(postgres_cluster, tmp_path):
    """The check above can fail: Dagster validates what it loads."""
    broken = (DEPLOY / "dagster.yaml").read_text().replace("run_monitoring:\n  enabled:", "run_monitoring:\n  enable:")
    info = instance_info(broken, postgres_cluster, tmp_path)
    assert info.returncode != 0
    assert 'Received unexpected config entry "enable" at path root:run_monitoring' in info.stderr, info.stderr
