"""`dora define`: add, list, remove and check deployment, incident and rework definitions from the command line."""

from __future__ import annotations

import click

from dora.core import definitions
from dora.core.definition_edits import DefinitionRejected, add_definition, remove_definition, upgrade_definitions
from dora.core.definition_preview import preview
from dora.core.home import Home, definitions_dir
from dora.core.warehouse import open_warehouse


def _option(column: str) -> str:
    """The command-line option of a column: dashes, as every other option (`--issue-type`)."""
    return "--" + {definitions.ID_COLUMN: "id"}.get(column, column).replace("_", "-")


class _FilterOptionsCommand(click.Command):
    """A command whose `--<filter>` options are the filter columns of its kind, read at run time.

    Reading them when the command runs (not at import) means the options always follow
    definition_methods.csv in DORA_DEFINITIONS_DIR, never a copy in this module.
    """

    def __init__(self, kind: str, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        catalog = definitions.load_catalog(definitions_dir())
        names = {name for (kind, _), filters in catalog.items() if kind == self.kind
                 for name, method_filter in filters.items() if method_filter.names}
        filter_options = [click.Option([_option(column), column], default="", metavar="GLOB",
                                       help=f"pattern for {column} (`!` negates, empty = any)"
                                       + ("; for a method where it is a name (definition_methods.csv role): "
                                          "a services.csv service" if column in names else ""))
                          for column in definitions.filters_of(catalog, self.kind)]
        help_option = self.get_help_option(ctx)
        return [*self.params, *filter_options, *([help_option] if help_option else [])]


def _describe(row: dict[str, str]) -> str:
    filters = ", ".join(f"{column}={value!r}" for column, value in row.items()
                        if value and column not in (definitions.ID_COLUMN, definitions.METHOD_COLUMN))
    return f"{row[definitions.ID_COLUMN]}: method={row[definitions.METHOD_COLUMN]}" + (f", {filters}" if filters else "")


def _invalid_files(invalid: definitions.DefinitionsInvalid) -> click.ClickException:
    return click.ClickException("the definition files must be fixed first (`dora define check`):\n"
                                + "\n".join(map(str, invalid.errors)))


def _add(kind: str, method: str, definition_id: str | None, filters: dict[str, str]) -> None:
    directory = definitions_dir()
    try:
        row = add_definition(directory, kind, method, filters, definition_id)
    except DefinitionRejected as rejected:
        raise click.ClickException("\n".join(f"{_option(column)}: {message}"
                                              for column, message in rejected.problems)) from None
    except definitions.DefinitionsInvalid as invalid:
        raise _invalid_files(invalid) from None
    catalog = definitions.load_catalog(directory)
    click.echo(f"added {kind} definition {_describe(row)}")
    applied = definitions.effective_filters(kind, row, catalog)
    defaults = {name: pattern for name, pattern in applied.items() if not row.get(name)}
    if defaults:
        click.echo("defaults applied: " + ", ".join(f"{name}={pattern!r}" for name, pattern in defaults.items()))
    if method == "github_issue":
        click.echo("note: GitHub issues are read only with sources.github.issues = true (SOURCES__GITHUB__ISSUES)")
    if kind == "rework":
        click.echo("preview: rework definitions are matched after history; the next run lists what they match "
                   "in marts.deployments.rework_reason")
        return
    published = open_warehouse(Home.from_env(), None).published()
    result = preview(published, kind, row, catalog)
    if result is None:
        click.echo(f"preview: nothing published yet ({published.describe()}); run the pipeline to see matches")
    else:
        click.echo(f"preview: matches {result.matched} of {result.candidates} {row['method']} records "
                   f"in the published {kind} history")


def _kind_command(kind: str, example: str) -> click.Command:
    def callback(method: str, definition_id: str | None, **filters: str) -> None:
        _add(kind, method, definition_id, filters)

    return _FilterOptionsCommand(
        kind, name=kind, callback=callback,
        help=f"Append one {kind} definition (all filters AND-ed; run again for OR). Example: {example}",
        params=[click.Option(["--method"], required=True, help="one of the methods in definition_methods.csv"),
                click.Option(["--id", "definition_id"], default=None,
                             help="definition id (default: derived from method and filters)")])


@click.group()
def define() -> None:
    """Decide what counts as a deployment, an incident or rework (edits the definition seeds)."""


define.add_command(_kind_command(
    "deployment", "dora define deployment --method workflow_run --repository 'acme/*' --workflow 'deploy*'"))
define.add_command(_kind_command(
    "incident", "dora define incident --method pagerduty --service 'checkout*' --urgency high"))
define.add_command(_kind_command("rework", "dora define rework --method hotfix_pr --label hotfix"))


@define.command(name="list")
def list_definitions() -> None:
    """Show every definition of every kind."""
    directory = definitions_dir()
    catalog = definitions.load_catalog(directory)
    for kind in definitions.KINDS:
        file = definitions.read_definitions(directory, kind, catalog)
        if file.notice:
            click.echo(file.notice, err=True)
        click.echo(f"{kind} definitions ({file.path}):")
        for _, row in file.rows:
            click.echo(f"  {_describe(row)}")
        if not file.rows:
            click.echo("  (none)")


@define.command()
@click.argument("definition_id")
def remove(definition_id: str) -> None:
    """Remove the definition DEFINITION_ID."""
    try:
        kind = remove_definition(definitions_dir(), definition_id)
    except KeyError:
        raise click.ClickException(f"no definition with id {definition_id!r}") from None
    except definitions.DefinitionsInvalid as invalid:
        raise _invalid_files(invalid) from None
    click.echo(f"removed {kind} definition {definition_id}")


@define.command(name="check")
def check_definitions() -> None:
    """Validate the definition files; exits non-zero listing file:line:column of each error."""
    directory = definitions_dir()
    try:
        errors, notices = definitions.check(directory)
    except definitions.DefinitionsInvalid as invalid:
        errors, notices = invalid.errors, []
    for line in [*notices, *map(str, errors)]:
        click.echo(line, err=True)
    if errors:
        raise SystemExit(1)
    click.echo(f"definitions OK ({directory})")


@define.command()
def upgrade() -> None:
    """Rewrite the definition files with the current columns (files of an earlier version lack some)."""
    directory = definitions_dir()
    try:
        added = upgrade_definitions(directory)
    except definitions.DefinitionsInvalid as invalid:
        raise _invalid_files(invalid) from None
    for name, columns in added.items():
        if columns is None:
            click.echo(f"{directory / name}: written with the shipped definitions (the file was missing)")
        else:
            click.echo(f"{directory / name}: " + (f"added the empty columns {', '.join(columns)}" if columns
                                                   else "columns put in the current order"))
    if not added:
        click.echo(f"definition files already have the current columns ({directory})")
