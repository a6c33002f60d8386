"""Deployment and incident definitions: the seed CSVs that decide which records count.

A definition is one row of `deployment_definitions.csv` or `incident_definitions.csv`: a
`definition_id`, a `method` (which kind of source record it looks at) and one glob pattern per
filter column. Which filter columns a method uses, whether one is required and its default come
from `definition_methods.csv` only; this module reads that file instead of restating it.

Filter semantics (the dbt matching macro implements exactly the same; keep them equal):
- a cell is a glob pattern matched against the whole value: `*` any run of characters, `?` one
  character, `[abc]` one of a set (DuckDB `GLOB`); matching is case-sensitive;
- a leading `!` negates the pattern (`!main` = anything but `main`);
- an empty (or blank) cell matches anything, except that the method's `default_value` applies when the
  cell is empty (so `conclusion` of `workflow_run` means `success` unless set);
- a record value that is missing (null) is matched as the empty string;
- `label` is matched against the record's list of labels: it matches when ANY label matches
  the pattern; negated, when NO label matches;
- all filters of one row must match (AND); a record counts when any row matches (OR).
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dora.core.files import fsync, locked

KINDS = ("deployment", "incident")
ID_COLUMN = "definition_id"
METHOD_COLUMN = "method"
METHODS_FILE = "definition_methods.csv"
# Filters matched against a list column of the history table instead of a scalar column.
LIST_FILTERS = {"label": "labels", "component": "components"}
HISTORY_TABLES = {"deployment": "history.deployment_history", "incident": "history.incident_history"}


def definition_file(directory: Path, kind: str) -> Path:
    return directory / f"{kind}_definitions.csv"


@dataclass(frozen=True)
class MethodFilter:
    name: str
    required: bool
    default: str


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a definition file, located so that a person can fix it."""

    path: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class DefinitionsInvalid(Exception):
    """Definition files (or a new definition) break the rules of definition_methods.csv."""

    def __init__(self, errors: list[DefinitionError]):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


Catalog = dict[tuple[str, str], dict[str, MethodFilter]]


def load_catalog(directory: Path) -> Catalog:
    """Read definition_methods.csv: (kind, method) -> its filters, in file order."""
    path = directory / METHODS_FILE
    catalog: Catalog = {}
    errors = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if row["kind"] not in KINDS or row["required"] not in ("true", "false"):
                errors.append(DefinitionError(path, reader.line_num, 1, f"bad row {row}: kind must be one of "
                                              f"{KINDS}, required true or false"))
                continue
            catalog.setdefault((row["kind"], row["method"]), {})[row["filter"]] = MethodFilter(
                row["filter"], row["required"] == "true", row["default_value"] or "")
    if errors:
        raise DefinitionsInvalid(errors)
    return catalog


def methods_of(catalog: Catalog, kind: str) -> list[str]:
    return [method for (method_kind, method) in catalog if method_kind == kind]


def filters_of(catalog: Catalog, kind: str) -> list[str]:
    """Every filter column some method of this kind uses (the definition file's filter columns)."""
    names: list[str] = []
    for (method_kind, _), filters in catalog.items():
        names += [name for name in filters if method_kind == kind and name not in names]
    return names


def row_problems(kind: str, row: dict[str, str], catalog: Catalog) -> list[tuple[str, str]]:
    """(column, message) for everything wrong with one definition row; ids are checked by callers."""
    method = row.get(METHOD_COLUMN, "")
    filters = catalog.get((kind, method))
    if filters is None:
        return [(METHOD_COLUMN, f"unknown {kind} method {method!r}; known: {', '.join(methods_of(catalog, kind))}")]
    problems = []
    for column, value in row.items():
        if column in (ID_COLUMN, METHOD_COLUMN) or not value:
            continue
        if column not in filters:
            problems.append((column, f"method {method} does not use filter {column!r}; "
                                     f"its filters: {', '.join(filters)}"))
    for name, method_filter in filters.items():
        if method_filter.required and not row.get(name) and not method_filter.default:
            problems.append((name, f"method {method} requires filter {name!r}"))
    return problems


def read_definitions(directory: Path, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of one definition file."""
    with definition_file(directory, kind).open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def check(directory: Path) -> list[DefinitionError]:
    """Validate both definition files against definition_methods.csv; [] when all is well."""
    catalog = load_catalog(directory)
    errors: list[DefinitionError] = []
    seen: dict[str, str] = {}
    for kind in KINDS:
        path = definition_file(directory, kind)
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            expected = [ID_COLUMN, METHOD_COLUMN, *filters_of(catalog, kind)]
            if sorted(header) != sorted(expected) or header[:2] != expected[:2]:
                errors.append(DefinitionError(path, 1, 1, f"header must be {ID_COLUMN},{METHOD_COLUMN} then the "
                                                          f"filters {', '.join(expected[2:])}; got {','.join(header)}"))
                continue
            for cells in reader:
                line = reader.line_num
                if len(cells) != len(header):
                    errors.append(DefinitionError(path, line, 1, f"{len(cells)} cells, header has {len(header)}"))
                    continue
                row = dict(zip(header, cells))
                definition_id = row[ID_COLUMN].strip()
                if not definition_id:
                    errors.append(DefinitionError(path, line, 1, "empty definition_id"))
                elif definition_id in seen:
                    errors.append(DefinitionError(path, line, 1, f"duplicate definition_id {definition_id!r} "
                                                                 f"(first at {seen[definition_id]})"))
                else:
                    seen[definition_id] = f"{path.name} line {line}"
                errors += [DefinitionError(path, line, header.index(column) + 1, message)
                           for column, message in row_problems(kind, row, catalog)]
    return errors


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Serialize read-modify-write of the definition files across processes (two `define` runs keep both rows).

    The lock is a flock on the seeds directory itself, so no lock file is left among the seeds.
    """
    with locked(directory):
        yield


def _write_atomically(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Replace the file in one step, so a reader (or dbt) never sees it half-written."""
    mode = path.stat().st_mode & 0o777
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         newline="", delete=False)
    try:
        with handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise
    fsync(path.parent)


def readable_id(method: str, filters: dict[str, str], taken: set[str]) -> str:
    """`workflow_run-acme-deploy-main` from the method and filter values, suffixed -2, -3... when taken."""
    words = [method] + [value.replace("!", "not-") for value in filters.values() if value]
    base = re.sub(r"[^a-z0-9_]+", "-", "-".join(words).lower()).strip("-")[:60].rstrip("-")
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _all_ids(directory: Path) -> set[str]:
    return {row[ID_COLUMN] for kind in KINDS for row in read_definitions(directory, kind)[1]}


class DefinitionRejected(Exception):
    """A new definition breaks the rules; `problems` are (column, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{column}: {message}" for column, message in problems))
        self.problems = problems


def add_definition(directory: Path, kind: str, method: str, filters: dict[str, str],
                   definition_id: str | None = None) -> dict[str, str]:
    """Validate and append one definition row (one AND-row); returns the row as written."""
    catalog = load_catalog(directory)
    with _exclusive(directory):
        header, rows = read_definitions(directory, kind)
        taken = _all_ids(directory)
        row = {column: "" for column in header}
        problems = [(name, f"not a filter column of {kind} definitions") for name in filters if name not in header]
        row.update({name: value for name, value in filters.items() if name in header})
        row[METHOD_COLUMN] = method
        in_file_order = {column: row[column] for column in header[2:]}
        row[ID_COLUMN] = definition_id.strip() if definition_id is not None else readable_id(method, in_file_order, taken)
        problems += row_problems(kind, row, catalog)
        if not row[ID_COLUMN]:
            problems.append((ID_COLUMN, "empty definition_id"))
        elif row[ID_COLUMN] in taken:
            problems.append((ID_COLUMN, f"definition_id {row[ID_COLUMN]!r} already exists"))
        if problems:
            raise DefinitionRejected(problems)
        _write_atomically(definition_file(directory, kind), header, [*rows, row])
    return row


def remove_definition(directory: Path, definition_id: str) -> str:
    """Remove the definition with this id from whichever file holds it; returns its kind."""
    with _exclusive(directory):
        for kind in KINDS:
            header, rows = read_definitions(directory, kind)
            kept = [row for row in rows if row[ID_COLUMN] != definition_id]
            if len(kept) != len(rows):
                _write_atomically(definition_file(directory, kind), header, kept)
                return kind
    raise KeyError(definition_id)


def effective_filters(kind: str, row: dict[str, str], catalog: Catalog) -> dict[str, str]:
    """The patterns that actually apply to a row: its non-empty cells, else the method's defaults."""
    filters = catalog[(kind, row[METHOD_COLUMN])]
    patterns = {name: (row.get(name) or "").strip() or method_filter.default for name, method_filter in filters.items()}
    return {name: pattern for name, pattern in patterns.items() if pattern}


def match_sql(patterns: dict[str, str]) -> tuple[str, list[str]]:
    """A DuckDB predicate (and its parameters) for the filter semantics above; values are never in the SQL."""
    clauses, parameters = [], []
    for name, pattern in patterns.items():
        negated = pattern.startswith("!")
        if name in LIST_FILTERS:
            test = f'coalesce(len(list_filter("{LIST_FILTERS[name]}", lambda value: value glob ?)), 0) > 0'
        else:
            test = f'coalesce("{name}", \'\') glob ?'
        clauses.append(f"not ({test})" if negated else f"({test})")
        parameters.append(pattern[1:] if negated else pattern)
    return " and ".join(clauses) or "true", parameters


@dataclass(frozen=True)
class Preview:
    matched: int
    candidates: int


def preview(published: Path, kind: str, row: dict[str, str], catalog: Catalog) -> Preview | None:
    """How many candidate records (distinct `candidate_id`) of the published history this definition
    matches, out of all candidates of its method; None when nothing is published yet.

    Reads the published copy read-only, never the warehouse, so it works while a run holds the write lock.
    """
    if not published.exists():
        return None
    predicate, parameters = match_sql(effective_filters(kind, row, catalog))
    connection = duckdb.connect(str(published), read_only=True)
    try:
        table = HISTORY_TABLES[kind]
        schema, name = table.split(".")
        exists = connection.execute("select count(*) from information_schema.tables where table_schema = ? "
                                    "and table_name = ?", [schema, name]).fetchall()[0][0]
        if not exists:
            return None
        matched, candidates = connection.execute(
            f"select count(distinct candidate_id) filter (where {predicate}), count(distinct candidate_id) "
            f"from {table} where method = ?",
            [*parameters, row[METHOD_COLUMN]]).fetchall()[0]
    finally:
        connection.close()
    return Preview(matched, candidates)
