"""The `dora` command line: one entry point, each command group in its own module."""

from __future__ import annotations

import click

from dora.define_cli import define
from dora.demo import demo
from dora.record_cli import record
from dora.run_cli import run, status, ui
from dora.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """DORA metrics from GitHub, GitLab, PagerDuty, Jira and the custom API (`dora record`,
    `dora serve`): extract, define, keep, publish."""


for command in (define, demo, record, run, serve, status, ui):
    main.add_command(command)
