"""A Dagster logger that prints one line per step on stderr, for people watching `dora run`."""

from __future__ import annotations

import logging
import time

import click
from dagster import DagsterEventType, InitLoggerContext, logger


# A step's log message starting with this is shown to the person watching, too.
FOR_PEOPLE = "» "


class StepProgressHandler(logging.Handler):
    """Turns step start / success / skip / failure events into short lines."""

    def __init__(self) -> None:
        super().__init__()
        self._started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None and str(meta.get("orig_message", "")).startswith(FOR_PEOPLE):
            click.echo(f"    {meta['orig_message'].removeprefix(FOR_PEOPLE)}", err=True)
        if event is None or not event.step_key:
            return
        step = event.step_key
        if event.event_type == DagsterEventType.STEP_START:
            self._started[step] = time.monotonic()
            click.echo(f"  … {step}", err=True)
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            click.echo(f"  ✓ {step} ({time.monotonic() - self._started.get(step, time.monotonic()):.1f} s)", err=True)
        elif event.event_type == DagsterEventType.STEP_SKIPPED:
            click.echo(f"  – {step}: skipped", err=True)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error if event.step_failure_data else None
            click.echo(f"  ✗ {step}: {_root_cause(error) if error else 'failed'}", err=True)


# dagster-dbt's failure message: a block about the dbt command and its logs, then dbt's own errors.
DBT_ERRORS = "Errors parsed from dbt logs:"


def _root_cause(error) -> str:
    """The innermost error's message: Dagster wraps the step's exception ("Error occurred while
    executing op ...") and dlt wraps the source's, but only the source's says what to do
    (e.g. when a rate limit resets). Of a dbt failure, only dbt's own errors (e.g. which
    definition is invalid): dbt's whole log is in last-run.log."""
    while error.cause is not None:
        error = error.cause
    message = error.message.strip()
    if DBT_ERRORS in message:
        message = message.split(DBT_ERRORS, 1)[1].strip().removeprefix("Encountered an error:").strip()
    return message


@logger(description="One line per step on stderr (used by `dora run`).")
def step_progress(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.Logger("dora.progress", level=logging.DEBUG)
    log.addHandler(StepProgressHandler())
    return log
