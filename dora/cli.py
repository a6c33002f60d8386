"""The `dora` command line: one entry point, each command group in its own module."""

from __future__ import annotations

import click

from dora.core.warehouse import WarehouseUnusable
from dora.define_cli import define
from dora.demo import demo
from dora.record_cli import record
from dora.run_cli import run, status, ui
from dora.serve import serve


class DoraGroup(click.Group):
    """A warehouse that cannot be used (a setting, a refused connection) ends any command with its
    message, which names the setting to fix and never a secret, instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WarehouseUnusable as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=DoraGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """DORA metrics from GitHub, GitLab, PagerDuty, Jira and the custom API (`dora record`,
    `dora serve`): extract, define, keep, publish."""


for command in (define, demo, record, run, serve, status, ui):
    main.add_command(command)
