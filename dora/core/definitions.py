"""Deployment, incident and rework definitions: reading and checking the definition files (dbt seeds).

A definition is one row of `deployment_definitions.csv`, `incident_definitions.csv` or
`rework_definitions.csv`: a `definition_id`, a `method` (which kind of record it looks at) and one
glob pattern per filter column. Which filter columns a method uses, whether one is required and its default come
from `definition_methods.csv` only; this module reads that file instead of restating it. It is the
one Python reader of these files: `dora define` and the dashboard both read through it.

Filter semantics:
- a cell is a glob pattern matched against the whole value: `*` any run of characters, `?` one
  character, `[abc]` one of a set (DuckDB `GLOB`); matching is case-sensitive;
- a leading `!` negates the pattern (`!main` = anything but `main`);
- an empty (or blank) cell matches anything, except that the method's `default_value` applies when the
  cell is empty (so `conclusion` of `workflow_run` means `success` unless set);
- a record value that is missing (null) is matched as the empty string;
- `label` and `component` are matched against the record's list, `paths` (merged_pr) against the
  PR's changed files: they match when ANY item matches the pattern; negated, when NO item does;
- all filters of one row must match (AND); a record counts when any row matches (OR).

A column whose definition_methods.csv `role` is `name` is no filter: it names something. The
`service` cell of a deployment method other than `custom` names the services.csv service the
definition's deployments count for (a monorepo deploying one service per workflow); for `custom`
deployments (and in incident and rework definitions) `service` is a filter on the records' service.

File rules: `definition_id` and `method` columns are required, a column no method of the kind uses
is an error, and a filter column the file lacks (a file written before that column existed) reads
as empty, with a notice. A definition file that is missing (a directory written before
rework definitions existed) is an error that `dora define upgrade` fixes by writing the shipped
file. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is ignored.

dbt applies the same rules in SQL (macros/validate_definitions.sql, definition_filters.sql,
durable_history.sql); tests/test_definitions_in_dbt.py runs both on the same cases.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("deployment", "incident", "rework")
ID_COLUMN = "definition_id"
METHOD_COLUMN = "method"
METHODS_FILE = "definition_methods.csv"
# Filters matched against a list column of the history table instead of a scalar column.
LIST_FILTERS = {"label": "labels", "component": "components", "paths": "files"}
NAME_ROLE = "name"  # definition_methods.csv `role` of a column that names something instead of filtering
SERVICES_FILE = "services.csv"
MISSING_FILE = "missing file: `dora define upgrade` writes it with the shipped definitions"
# An unescaped `[` that no `]` closes: such a glob can never match (`main[`).
UNCLOSED_SET = re.compile(r"(^|[^\\])\[[^\]]*$")


def definition_file(directory: Path, kind: str) -> Path:
    return directory / f"{kind}_definitions.csv"


@dataclass(frozen=True)
class MethodFilter:
    name: str
    required: bool
    default: str
    names: bool = False  # role `name`: the cell names a services.csv service, it matches no record
    line: int = 0  # its line in definition_methods.csv


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a definition file, located so that a person can fix it."""

    path: Path
    line: int
    column: int
    message: str
    column_name: str = ""  # the column the problem is in; "" for a whole line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class DefinitionsInvalid(Exception):
    """Definition files (or a new definition) break the rules of definition_methods.csv."""

    def __init__(self, errors: list[DefinitionError]):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


Catalog = dict[tuple[str, str], dict[str, MethodFilter]]


def read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A CSV file's header and its (line, cells) records; a byte-order mark is dropped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, [(reader.line_num, cells) for cells in reader if cells]


def read_seed(path: Path) -> list[dict[str, str]]:
    """A seed's rows as dicts of stripped text; a missing seed reads as no rows."""
    if not path.exists():
        return []
    header, records = read_csv(path)
    return [{name: cell.strip() for name, cell in zip(header, cells) if name} for _, cells in records]


def load_catalog(directory: Path) -> Catalog:
    """Read definition_methods.csv: (kind, method) -> its filters, in file order."""
    path = directory / METHODS_FILE
    catalog: Catalog = {}
    errors = []
    header, records = read_csv(path)
    for line, cells in records:
        row = dict(zip(header, cells))
        if (row.get("kind") not in KINDS or row.get("required") not in ("true", "false")
                or row.get("role", "") not in ("", NAME_ROLE)):
            errors.append(DefinitionError(path, line, 1, f"bad row {row}: kind must be one of "
                                          f"{KINDS}, required true or false, role empty or {NAME_ROLE}"))
            continue
        name = row.get("filter", "")
        catalog.setdefault((row["kind"], row.get("method", "")), {})[name] = MethodFilter(
            name, row["required"] == "true", row.get("default_value") or "", row.get("role") == NAME_ROLE, line)
    if errors:
        raise DefinitionsInvalid(errors)
    return catalog


def methods_of(catalog: Catalog, kind: str) -> list[str]:
    return [method for (method_kind, method) in catalog if method_kind == kind]


def filters_of(catalog: Catalog, kind: str) -> list[str]:
    """Every filter column some method of this kind uses (the definition file's filter columns), in
    the order definition_methods.csv first names them: a column added later comes last."""
    first_lines: dict[str, int] = {}
    for (method_kind, _), filters in catalog.items():
        for name, method_filter in filters.items():
            if method_kind == kind:
                first_lines[name] = min(first_lines.get(name, method_filter.line), method_filter.line)
    return sorted(first_lines, key=first_lines.__getitem__)


def columns_of(catalog: Catalog, kind: str) -> list[str]:
    """The current columns of a definition file, in the order `dora define` writes them."""
    return [ID_COLUMN, METHOD_COLUMN, *filters_of(catalog, kind)]


def pattern_problem(pattern: str) -> str | None:
    """Why a filter cell can never match what its author meant, or None."""
    pattern = pattern.strip()
    if pattern == "!":
        return "'!' alone negates nothing (write !<pattern>)"
    if UNCLOSED_SET.search(pattern.removeprefix("!")):
        return f"unclosed '[' in {pattern!r} (a set needs its ']'; a literal [ is written \\[)"
    return None


def service_names(directory: Path) -> set[str]:
    """The services services.csv names: what a `service` cell of role `name` may name."""
    return {row["service"] for row in read_seed(directory / SERVICES_FILE) if row.get("service")}


def services_notice(directory: Path) -> str | None:
    """The notice for a services.csv of an earlier version, without `paths` (dbt logs the same line)."""
    path = directory / SERVICES_FILE
    if not path.exists() or "paths" in read_csv(path)[0]:
        return None
    return f"{path}: no column paths: read as empty (every row maps whole repositories)"


def row_problems(kind: str, row: dict[str, str], catalog: Catalog, services: set[str]) -> list[tuple[str, str]]:
    """(column, message) for everything wrong with one definition row; ids are checked by callers.
    `services`: the services.csv services a column of role `name` may name."""
    method = row.get(METHOD_COLUMN, "")
    filters = catalog.get((kind, method))
    if filters is None:
        return [(METHOD_COLUMN, f"unknown {kind} method {method!r}; known: {', '.join(methods_of(catalog, kind))}")]
    problems = []
    for column, value in row.items():
        if column in (ID_COLUMN, METHOD_COLUMN) or not value.strip():
            continue
        if column not in filters:
            problems.append((column, f"method {method} does not use filter {column!r}; "
                                     f"its filters: {', '.join(filters)}"))
        elif filters[column].names:
            if value.strip() not in services:
                problems.append((column, f"names service {value.strip()!r}, which services.csv does not have "
                                         f"(its services: {', '.join(sorted(services)) or 'none'})"))
            continue
        if problem := pattern_problem(value):
            problems.append((column, problem))
    for name, method_filter in filters.items():
        if method_filter.required and not row.get(name, "").strip() and not method_filter.default:
            problems.append((name, f"method {method} requires filter {name!r}"))
    return problems


@dataclass(frozen=True)
class DefinitionFile:
    """One definition file as read: its header and rows, what it lacks, and what is wrong with it."""

    path: Path
    header: list[str]
    # (line, row) with every current column present: a column the file lacks reads as ""
    rows: list[tuple[int, dict[str, str]]]
    missing: list[str]
    errors: list[DefinitionError]

    @property
    def notice(self) -> str | None:
        """One line naming the filter columns the file lacks, or None."""
        if not self.missing:
            return None
        return (f"{self.path}: no column {', '.join(self.missing)}: read as empty "
                f"(`dora define upgrade` adds {'it' if len(self.missing) == 1 else 'them'})")


def read_definitions(directory: Path, kind: str, catalog: Catalog) -> DefinitionFile:
    """Read one definition file with its header problems; rows are checked by `check`."""
    path = definition_file(directory, kind)
    columns = columns_of(catalog, kind)
    if not path.exists():
        return DefinitionFile(path, [], [], [], [DefinitionError(path, 1, 1, MISSING_FILE)])
    header, records = read_csv(path)
    errors = []
    for position, name in enumerate(header, start=1):
        if name not in columns:
            guess = difflib.get_close_matches(name, columns, n=1)
            errors.append(DefinitionError(path, 1, position, f"unknown column {name!r}"
                                          + (f" (did you mean {guess[0]!r}?)" if guess else ""), name))
        elif header.index(name) < position - 1:
            errors.append(DefinitionError(path, 1, position, f"column {name!r} appears twice", name))
    for name in (ID_COLUMN, METHOD_COLUMN):
        if name not in header:
            errors.append(DefinitionError(path, 1, 1, f"missing column {name!r}", name))
    for line, cells in records:
        if len(cells) != len(header):
            errors.append(DefinitionError(path, line, 1, f"{len(cells)} cells, header has {len(header)}"))
    blank = dict.fromkeys(columns, "")
    rows = [(line, blank | dict(zip(header, cells))) for line, cells in records if len(cells) == len(header)]
    missing = [name for name in columns if name not in header and name not in (ID_COLUMN, METHOD_COLUMN)]
    return DefinitionFile(path, header, rows, missing, errors)


def check(directory: Path) -> tuple[list[DefinitionError], list[str]]:
    """Validate the definition files against definition_methods.csv (and the services a `service`
    cell names against services.csv): (errors, notices)."""
    catalog = load_catalog(directory)
    services = service_names(directory)
    errors: list[DefinitionError] = []
    notices: list[str] = [notice] if (notice := services_notice(directory)) else []
    seen: dict[str, str] = {}
    for kind in KINDS:
        file = read_definitions(directory, kind, catalog)
        notices += [file.notice] if file.notice else []
        if any(error.line == 1 for error in file.errors):
            errors += file.errors
            continue  # the header is wrong: its rows cannot be read by column
        file_errors = list(file.errors)
        column_position = {name: position for position, name in enumerate(file.header, start=1)}
        for line, row in file.rows:
            definition_id = row[ID_COLUMN].strip()
            if not definition_id:
                file_errors.append(DefinitionError(file.path, line, 1, "empty definition_id", ID_COLUMN))
            elif definition_id in seen:
                file_errors.append(DefinitionError(file.path, line, 1, f"duplicate definition_id {definition_id!r} "
                                                                       f"(first at {seen[definition_id]})", ID_COLUMN))
            else:
                seen[definition_id] = f"{file.path.name} line {line}"
            file_errors += [DefinitionError(file.path, line, column_position.get(column, 1), message, column)
                            for column, message in row_problems(kind, row, catalog, services)]
        errors += sorted(file_errors, key=lambda error: error.line)
    return errors, notices


def notices(directory: Path) -> list[str]:
    """The one-line notices about the definition files (columns they lack, a file of a newer kind
    missing); none when the files cannot be read at all, which the dbt run then reports."""
    try:
        errors, found = check(directory)
    except (DefinitionsInvalid, OSError, UnicodeDecodeError):
        return []
    return found + [str(error) for error in errors if error.message == MISSING_FILE]


def effective_filters(kind: str, row: dict[str, str], catalog: Catalog) -> dict[str, str]:
    """The patterns that actually apply to a row: its non-empty cells, else the method's defaults
    (a column of role `name` is no pattern)."""
    filters = {name: method_filter for name, method_filter in catalog[(kind, row[METHOD_COLUMN])].items()
               if not method_filter.names}
    patterns = {name: (row.get(name) or "").strip() or method_filter.default for name, method_filter in filters.items()}
    return {name: pattern for name, pattern in patterns.items() if pattern}
