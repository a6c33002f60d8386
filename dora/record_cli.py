"""`dora record`: send one deployment or incident to the landing area from a script or CI job."""

from __future__ import annotations

import click

from dora.core import landing
from dora.core.home import Home

# Command-line spellings of record fields that are not simply `--field-name`.
_OPTION_OF = {"commit_sha": "--sha", "deployed_at": "--at"}


def _option(field: str) -> str:
    return _OPTION_OF.get(field, "--" + field.replace("_", "-"))


def _store(kind: landing.RecordKind, payload: dict[str, str | None]) -> None:
    given = {name: value for name, value in payload.items() if value is not None}
    try:
        record = landing.validate(kind, given)
    except landing.RecordInvalid as invalid:
        raise click.BadParameter(invalid.message, param_hint=f"'{_option(invalid.field)}'") from None
    status = landing.LandingArea(Home.from_env().landing).append(kind, record)
    click.echo(f"{kind.name[:-1]} {record['id']} {status}")


@click.group()
def record() -> None:
    """Record deployments and incidents from any tool (picked up by the next pipeline run)."""


@record.command()
@click.option("--service", required=True)
@click.option("--environment", required=True)
@click.option("--sha", "commit_sha", required=True, help="deployed commit")
@click.option("--at", "deployed_at", required=True, help="ISO-8601 time with offset, e.g. 2026-11-20T10:00:00Z")
@click.option("--id", "id_", default=None, help="record id (default: derived from service, environment, sha, time)")
@click.option("--url", default=None)
@click.option("--repository", default=None, help="owner/name")
def deployment(id_: str | None, **fields: str | None) -> None:
    """Record one deployment."""
    _store(landing.DEPLOYMENTS, {"id": id_, **fields})


@record.command()
@click.option("--service", required=True)
@click.option("--title", required=True)
@click.option("--created-at", required=True, help="ISO-8601 time with offset")
@click.option("--resolved-at", default=None, help="ISO-8601 time with offset; record again with it once resolved")
@click.option("--deployment-id", default=None, help="the deployment that caused it")
@click.option("--sha", "commit_sha", default=None, help="the commit that caused it (instead of --deployment-id)")
@click.option("--id", "id_", default=None, help="record id (default: derived from service, title, created-at)")
@click.option("--urgency", default=None)
@click.option("--priority", default=None)
@click.option("--url", default=None)
def incident(id_: str | None, **fields: str | None) -> None:
    """Record one incident (or update it: same id or same service, title and created-at)."""
    _store(landing.INCIDENTS, {"id": id_, **fields})
