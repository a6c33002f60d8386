"""The dbt project the transformation benchmark builds: a copy per engine in the work directory, so
the benchmark's definitions (and its definition edit) and dbt's target/ never touch the repository's,
and each engine keeps its own partial parse (dbt re-parses everything when the profile changes)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from bench import raw_tables
from bench.engines import Engine
from bench.measure import BIN, run_child
from dora.core.home import DBT_PROJECT_DIR

DEFINITIONS = [
    {"definition_id": "deploy-workflow", "method": "workflow_run", "branch": "main", "workflow": "deploy",
     "event": "push"},
    {"definition_id": "production-deployments", "method": "github_deployment"},
]
# The edit: merged bug fixes count too; every candidate in history is re-evaluated.
EDITED_DEFINITIONS = [*DEFINITIONS, {"definition_id": "merged-bug-fixes", "method": "merged_pr", "branch": "main",
                                     "label": "bug"}]


class DbtProjectCopy:
    def __init__(self, work: Path, engine: Engine) -> None:
        self.engine = engine
        self.dir = work / f"dbt_project_{engine.name}"
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.copytree(DBT_PROJECT_DIR, self.dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        self.services_csv.write_text(raw_tables.services_csv())
        self.define(DEFINITIONS)

    @property
    def services_csv(self) -> Path:
        return self.dir / "seeds" / "services.csv"

    def define(self, definitions: list[dict[str, str]]) -> None:
        """Write deployment_definitions.csv with the repository's columns (empty cells elsewhere)."""
        path = self.dir / "seeds" / "deployment_definitions.csv"
        with path.open() as file:
            header = next(csv.reader(file))
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, header, restval="")
            writer.writeheader()
            writer.writerows(definitions)

    def run(self, warehouse, *args: str) -> tuple[float, float]:
        """(wall seconds of the dbt process, seconds dbt reports for the run itself); the slowest
        nodes of the run are kept in `slowest`."""
        target, env = self.engine.dbt_settings(warehouse)
        command = [str(BIN / "dbt"), *args, *target, "--project-dir", str(self.dir), "--profiles-dir", str(self.dir)]
        results = self.dir / "target" / "run_results.json"
        results.unlink(missing_ok=True)
        child = run_child(command, env=env)
        if not results.exists():
            return child.seconds, child.seconds
        report = json.loads(results.read_text())
        nodes = sorted(report["results"], key=lambda node: -node["execution_time"])
        tests = sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test."))
        self.slowest = ", ".join(f"{n['unique_id'].split('.')[2]} {n['execution_time']:.1f} s" for n in nodes[:6])
        self.slowest += f"; all {sum(n['unique_id'].startswith('test.') for n in nodes)} tests {tests:.1f} s"
        self.nodes = len(nodes)
        return child.seconds, report["elapsed_time"]

    def build(self, warehouse) -> tuple[float, float]:
        return self.run(warehouse, "build", "--exclude-resource-type", "unit_test")
