"""The `dora` command line: one entry point, each command group in its own module."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """DORA metrics from GitHub and PagerDuty: extract, define, keep, publish."""


# Command groups register themselves here, one line each (keep this list short and sorted).
from dora.define_cli import define  # noqa: E402
main.add_command(define)
from dora.run_cli import demo, run, status, ui  # noqa: E402

for command in (demo, run, status, ui):
    main.add_command(command)
from dora.record_cli import record  # noqa: E402
main.add_command(record)
from dora.serve import serve  # noqa: E402
main.add_command(serve)
