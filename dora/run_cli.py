"""`dora run`, `dora demo`, `dora status`, `dora ui`: running the pipeline and looking at it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from dora.core.home import PROJECT_ROOT, Home, definitions_dir
from dora.core.warehouse import WAREHOUSES, Warehouse, open_warehouse

DAGSTER_YAML = """\
# Written by dora: one run at a time (DuckDB has one writer), queued rather than failed.
# Steps that write the warehouse wait on its write lock (dora.core.warehouse_lock), not on a Dagster
# pool: a pool slot claimed by a run that is then killed stays claimed, and every later run
# waits for it forever.
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def use_dagster_home(home: Home) -> None:
    """Point Dagster at this home's instance directory, configured for one run at a time."""
    home.ensure()
    config = home.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)


def warehouse_option(command):
    """`--warehouse`: which warehouse the command works on, instead of the `warehouse` setting."""
    return click.option("--warehouse", type=click.Choice(WAREHOUSES), default=None,
                        help="duckdb or postgres (default: the `warehouse` setting, env WAREHOUSE, else duckdb)")(command)


def run_pipeline(home: Home, definitions: Path, warehouse: Warehouse | None = None) -> None:
    """Extract the configured sources, rebuild, publish, for the install in `home` with the
    definition files in `definitions`, into `warehouse` (default: the configured one); raise
    ClickException on failure."""
    from dagster import DagsterInstance

    from dlt_sources.settings import REQUIRED, missing_settings
    from dora.core.definitions import notices
    from dora.core.home import definitions_dir
    from dora.core.landing import has_records
    from dora.core.warehouse_lock import run_lock

    for notice in notices(definitions_dir()):  # dbt's own notice goes to its log only
        click.echo(notice, err=True)
    missing = {source: missing_settings(source) for source in REQUIRED}
    if all(missing.values()) and not has_records(home.landing):
        lines = [f"  {source}: set {' and '.join(keys)}" for source, keys in missing.items()]
        lines.append("  custom API: record a deployment or an incident (dora record, dora serve)")
        raise click.ClickException("No source is configured. Set at least one of:\n" + "\n".join(lines))
    for source, keys in missing.items():
        if keys:
            click.echo(f"Skipping {source}: not configured (set {' and '.join(keys)}).", err=True)

    warehouse = warehouse or open_warehouse(home, None)
    shared = warehouse.run_lock()
    with run_lock(home) as acquired, (shared.acquired(wait=False) if shared else contextlib.nullcontext(True)) as alone:
        if not acquired:
            raise click.ClickException("Another run is in progress for this data directory; try again when it ends.")
        if not alone:
            raise click.ClickException(f"Another install is running on the warehouse {warehouse.describe()}; "
                                       "try again when it ends.")
        use_dagster_home(home)
        from orchestration.automation import refresh_selection
        from orchestration.definitions import build_definitions
        from orchestration.run_history import run_history_without_flush_per_event

        click.echo("Preparing the pipeline…", err=True)
        defs = build_definitions(home, definitions, warehouse.kind)
        job = defs.resolve_job_def("refresh")
        selection = refresh_selection(defs.resolve_asset_graph())
        click.echo("Running:", err=True)
        # dbt's own log lines go to a file; the terminal gets one line per step.
        with open(home.run_log, "w") as log, contextlib.redirect_stdout(log), run_history_without_flush_per_event():
            result = job.execute_in_process(
                instance=DagsterInstance.get(),
                asset_selection=selection,
                raise_on_error=False,
                run_config={"loggers": {"step_progress": {}}},
            )
            # The whole error of each failed step, causes included: an extraction that fails
            # leaves nothing else in the log (dbt does not run).
            for event in result.all_events:
                if event.is_step_failure:
                    log.write(f"\n=== step {event.step_key} failed ===\n{event.step_failure_data.error.to_string()}")
    if not result.success:
        raise click.ClickException(
            f"The run failed (run id {result.run_id}); the steps above say where, and {home.run_log} "
            "has each failed step's whole error (after dbt's log, when dbt ran). Nothing already stored "
            "was lost; fix the cause and run again."
        )


def print_summary(home: Home, warehouse: Warehouse) -> None:
    from dora.core.summary import format_headline, org_headline

    published = warehouse.published()
    click.echo("\nDORA metrics, whole organisation, last 30 days:")
    click.echo(format_headline(org_headline(published)))
    click.echo(f"\nWarehouse:       {warehouse.describe()}")
    click.echo(f"Published marts: {published.describe()}  (open read-only from your BI tool)")
    click.echo(f"Dashboard:       {home.dashboard}")


@click.command()
@warehouse_option
def run(warehouse: str | None) -> None:
    """Extract, rebuild history and marts, publish: one full refresh now."""
    home = Home.from_env()
    chosen = open_warehouse(home, warehouse)
    run_pipeline(home, definitions_dir(), chosen)
    print_summary(home, chosen)


@click.command()
@warehouse_option
def status(warehouse: str | None) -> None:
    """Last run, freshness per source, and row counts (reads only the published marts)."""
    from dagster import DagsterInstance

    home = Home.from_env()
    published = open_warehouse(home, warehouse).published()
    use_dagster_home(home)
    with DagsterInstance.get() as instance:
        records = instance.get_run_records(limit=1)
    if records:
        last = records[0]
        started = datetime.fromtimestamp(last.start_time, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if last.start_time else "not started"
        click.echo(f"Last run: {last.dagster_run.job_name} at {started}: {last.dagster_run.status.value.lower()}")
    else:
        click.echo("Last run: none yet (run `dora run`).")
    if not published.exists():
        click.echo("Nothing published yet.")
        return
    with published.connect() as reader:
        click.echo("\nFreshness (last successful load per source):")
        for source, resource, loaded, rows in reader.rows(
            "select source, resource, last_loaded_at, row_count from meta.source_freshness order by 1, 2"
        ):
            when = loaded.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if loaded else "never"
            click.echo(f"  {f'{source}.{resource}':<28} {when:<22} {rows:>9,} rows")
        click.echo("\nHistory and marts (published):")
        for table in sorted(name for name in reader.tables() if name.split(".")[0] in ("history", "marts")):
            schema, name = table.split(".")
            [(count,)] = reader.rows(f'select count(*) from "{schema}"."{name}"')
            click.echo(f"  {table:<28} {count:>9,} rows")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address the UI listens on")
@click.option("--port", default=3000, show_default=True, type=int, help="port the UI listens on")
@warehouse_option
def ui(host: str, port: int, warehouse: str | None) -> None:
    """Start Dagster's UI and daemon for this project (`dagster dev`)."""
    home = Home.from_env()
    use_dagster_home(home)
    if warehouse:  # the code server reads the setting (dlt's `warehouse`) from its environment
        os.environ["WAREHOUSE"] = warehouse
    # Dagster's code server runs in the project directory; dlt must still find .dlt/ where the user is.
    os.environ.setdefault("DLT_PROJECT_DIR", os.getcwd())
    sys.exit(subprocess.call([sys.executable, "-m", "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
                              "--host", host, "--port", str(port)], cwd=PROJECT_ROOT))
