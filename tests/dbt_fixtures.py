"""Helpers for the dbt tests: raw tables written straight into a DuckDB file, and dbt run in-process.

The raw tables are created exactly as docs/raw-tables.md describes them (what dlt writes), so the
dbt project is tested against its contract without running any extraction.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

from dora.core.home import DBT_PROJECT_DIR

TZ = "timestamp with time zone"
DLT_COLUMNS = {"_dlt_load_id": "varchar", "_dlt_id": "varchar"}

# docs/raw-tables.md, table by table.
RAW_TABLES: dict[str, dict[str, str]] = {
    "raw_github.pull_requests": {
        "id": "bigint", "repository_id": "bigint", "repository": "varchar", "number": "bigint", "title": "varchar",
        "author": "varchar", "labels": "json", "base_ref": "varchar", "head_ref": "varchar", "state": "varchar",
        "created_at": TZ, "updated_at": TZ, "closed_at": TZ, "merged_at": TZ, "merge_commit_sha": "varchar",
        "first_commit_at": TZ, "html_url": "varchar",
    },
    "raw_github.workflow_runs": {
        "id": "bigint", "repository_id": "bigint", "repository": "varchar", "workflow_id": "bigint",
        "workflow_name": "varchar", "head_branch": "varchar", "head_sha": "varchar", "event": "varchar",
        "status": "varchar", "conclusion": "varchar", "run_attempt": "bigint", "run_started_at": TZ,
        "created_at": TZ, "updated_at": TZ, "actor": "varchar", "html_url": "varchar",
    },
    "raw_github.releases": {
        "id": "bigint", "repository_id": "bigint", "repository": "varchar", "tag_name": "varchar",
        "target_commitish": "varchar", "name": "varchar", "draft": "boolean", "prerelease": "boolean",
        "created_at": TZ, "published_at": TZ, "author": "varchar", "html_url": "varchar",
    },
    "raw_github.deployments": {
        "id": "bigint", "repository_id": "bigint", "repository": "varchar", "sha": "varchar", "ref": "varchar",
        "task": "varchar", "environment": "varchar", "created_at": TZ, "updated_at": TZ, "creator": "varchar",
        "latest_status_state": "varchar", "latest_status_at": TZ, "latest_status_log_url": "varchar", "statuses": "json",
    },
    "raw_pagerduty.incidents": {
        "id": "varchar", "incident_number": "bigint", "title": "varchar", "status": "varchar", "urgency": "varchar",
        "priority": "varchar", "service_id": "varchar", "service_name": "varchar", "teams": "json",
        "created_at": TZ, "resolved_at": TZ, "updated_at": TZ, "last_status_change_at": TZ, "html_url": "varchar",
    },
    "raw_pagerduty.services": {
        "id": "varchar", "name": "varchar", "description": "varchar", "status": "varchar", "teams": "json",
        "created_at": TZ, "html_url": "varchar",
    },
    "raw_custom.deployments": {
        "id": "varchar", "service": "varchar", "environment": "varchar", "commit_sha": "varchar",
        "repository": "varchar", "deployed_at": TZ, "url": "varchar", "received_at": TZ,
    },
    "raw_custom.incidents": {
        "id": "varchar", "service": "varchar", "title": "varchar", "urgency": "varchar", "priority": "varchar",
        "created_at": TZ, "resolved_at": TZ, "deployment_id": "varchar", "commit_sha": "varchar", "url": "varchar",
        "received_at": TZ,
    },
}


def load_rows(warehouse: Path, table: str, rows: list[dict], load_id: str) -> None:
    """Write rows the way dlt's merge does: create the table if needed, replace rows by `id`.

    Columns a row leaves out are null; lists are stored as JSON; timestamps are UTC strings.
    """
    columns = {**RAW_TABLES[table], **DLT_COLUMNS}
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        con.execute(f"create table if not exists {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        for row in rows:
            values = {c: json.dumps(v) if isinstance(v, list) else v for c, v in row.items()}
            values |= {"_dlt_load_id": load_id, "_dlt_id": f"{table}:{row['id']}"}
            con.execute(f"delete from {table} where id = ?", [row["id"]])
            names = list(values)
            con.execute(f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                        [values[name] for name in names])


def execute(warehouse: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql, parameters or []).fetchall()


def table_rows(warehouse: Path, table: str) -> list[tuple]:
    """All rows of a table in a stable order, for before/after comparisons."""
    return sorted(execute(warehouse, f"select * from {table}"), key=repr)


@dataclass
class DbtRun:
    success: bool
    messages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.messages)


@dataclass
class DbtProjectCopy:
    """A private copy of dbt_project/ (its seeds can be edited) bound to one warehouse file."""

    directory: Path
    warehouse: Path

    @classmethod
    def create(cls, directory: Path, warehouse: Path, source: Path = DBT_PROJECT_DIR) -> "DbtProjectCopy":
        """Copy `source` (the real project, or another copy with its seeds and parsed target)."""
        shutil.copytree(source, directory, ignore=shutil.ignore_patterns("logs", "dbt_packages"))
        return cls(directory, warehouse)

    def clone(self, directory: Path) -> "DbtProjectCopy":
        """An independent copy of this project and of its warehouse file, to change without touching this one."""
        directory.mkdir(parents=True)
        warehouse = directory / "warehouse.duckdb"
        execute(self.warehouse, "checkpoint")  # dbt-duckdb may still hold the file open in this process
        shutil.copyfile(self.warehouse, warehouse)
        return DbtProjectCopy.create(directory / "dbt_project", warehouse, source=self.directory)

    def write_seed(self, name: str, text: str) -> None:
        (self.directory / "seeds" / f"{name}.csv").write_text(text)

    def dbt(self, *args: str) -> DbtRun:
        """Run dbt in-process against this copy and its warehouse (target and logs stay in the copy)."""
        messages: list[str] = []
        previous = os.environ.get("DORA_WAREHOUSE")
        os.environ["DORA_WAREHOUSE"] = str(self.warehouse)
        try:
            result = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)]).invoke([
                *args, "--project-dir", str(self.directory), "--profiles-dir", str(self.directory),
                "--target-path", str(self.directory / "target"), "--log-path", str(self.directory / "logs"),
            ])
        finally:
            if previous is None:
                os.environ.pop("DORA_WAREHOUSE")
            else:
                os.environ["DORA_WAREHOUSE"] = previous
        if result.exception is not None:
            messages.append(str(result.exception))
        return DbtRun(result.success, messages)
