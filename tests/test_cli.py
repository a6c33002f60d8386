"""The `dora` command line as a newcomer meets it: its help, and the options of `dora ui`."""

from __future__ import annotations

from click.testing import CliRunner

from dora import run_cli
from dora.cli import main


def test_help_names_every_source():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    summary = " ".join(result.output.split())  # click wraps the text
    for source in ("GitHub", "GitLab", "PagerDuty", "Jira", "custom API"):
        assert source in summary, source


def test_ui_listens_where_asked(home, monkeypatch):
    started = []
    monkeypatch.setattr(run_cli.subprocess, "call", lambda command, cwd: started.append(command) or 0)
    result = CliRunner().invoke(main, ["ui", "--port", "3999", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    [command] = started
    assert command[-4:] == ["--host", "0.0.0.0", "--port", "3999"]
    assert command[1:4] == ["-m", "dagster", "dev"]
