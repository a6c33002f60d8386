"""Safe edits of the definition files: append, remove, upgrade, each an atomic replace under a lock.

Every edit writes the file with its current columns (dora.core.definitions.columns_of), so an edit
also upgrades a file written before a column existed; a file with an unknown column or a broken
header is refused rather than rewritten, so nothing in it is lost.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dora.core.definitions import (
    ID_COLUMN,
    KINDS,
    METHOD_COLUMN,
    Catalog,
    DefinitionFile,
    DefinitionsInvalid,
    columns_of,
    definition_file,
    load_catalog,
    read_definitions,
    row_problems,
    service_names,
)
from dora.core.files import fsync, locked
from dora.core.home import DBT_PROJECT_DIR


class DefinitionRejected(Exception):
    """A new definition breaks the rules; `problems` are (column, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{column}: {message}" for column, message in problems))
        self.problems = problems


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


def _readable(directory: Path, kind: str, catalog: Catalog) -> DefinitionFile:
    """The file, refused when rewriting it could lose something (unknown columns, ragged rows)."""
    file = read_definitions(directory, kind, catalog)
    if file.errors:
        raise DefinitionsInvalid(file.errors)
    return file


def _rewrite(file: DefinitionFile, kind: str, catalog: Catalog, rows: list[dict[str, str]]) -> None:
    _write_atomically(file.path, columns_of(catalog, kind), rows)


def readable_id(method: str, filters: dict[str, str], taken: set[str]) -> str:
    """`workflow_run-acme-deploy-main` from the method and filter values, suffixed -2, -3... when taken."""
    words = [method] + [value.replace("!", "not-") for value in filters.values() if value]
    base = re.sub(r"[^a-z0-9_]+", "-", "-".join(words).lower()).strip("-")[:60].rstrip("-")
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def add_definition(directory: Path, kind: str, method: str, filters: dict[str, str],
                   definition_id: str | None = None) -> dict[str, str]:
    """Validate and append one definition row (one AND-row); returns the row as written."""
    catalog = load_catalog(directory)
    with _exclusive(directory):
        files = {each: _readable(directory, each, catalog) for each in KINDS}
        taken = {row[ID_COLUMN] for file in files.values() for _, row in file.rows}
        columns = columns_of(catalog, kind)
        row = dict.fromkeys(columns, "")
        problems = [(name, f"not a filter column of {kind} definitions") for name in filters if name not in columns]
        row.update({name: value for name, value in filters.items() if name in columns})
        row[METHOD_COLUMN] = method
        in_file_order = {column: row[column] for column in columns[2:]}
        row[ID_COLUMN] = (definition_id.strip() if definition_id is not None
                          else readable_id(method, in_file_order, taken))
        problems += row_problems(kind, row, catalog, service_names(directory))
        if not row[ID_COLUMN]:
            problems.append((ID_COLUMN, "empty definition_id"))
        elif row[ID_COLUMN] in taken:
            problems.append((ID_COLUMN, f"definition_id {row[ID_COLUMN]!r} already exists"))
        if problems:
            raise DefinitionRejected(problems)
        _rewrite(files[kind], kind, catalog, [*(existing for _, existing in files[kind].rows), row])
    return row


def remove_definition(directory: Path, definition_id: str) -> str:
    """Remove the definition with this id from whichever file holds it; returns its kind."""
    catalog = load_catalog(directory)
    with _exclusive(directory):
        for kind in KINDS:
            file = _readable(directory, kind, catalog)
            kept = [row for _, row in file.rows if row[ID_COLUMN] != definition_id]
            if len(kept) != len(file.rows):
                _rewrite(file, kind, catalog, kept)
                return kind
    raise KeyError(definition_id)


def upgrade_definitions(directory: Path) -> dict[str, list[str] | None]:
    """Rewrite each definition file with the current columns; returns the columns added per file,
    None for a file that was missing (a directory written before its kind existed) and is now
    written with the shipped definitions. A file that has every column is left untouched.
    """
    catalog = load_catalog(directory)
    added = {}
    with _exclusive(directory):
        for kind in KINDS:
            path = definition_file(directory, kind)
            if not path.exists():
                shipped = definition_file(DBT_PROJECT_DIR / "seeds", kind)
                partial = path.with_name(f".{path.name}.tmp")  # a crash never leaves half a file
                partial.write_bytes(shipped.read_bytes())
                fsync(partial)
                os.replace(partial, path)
                fsync(path.parent)
                added[path.name] = None
                continue
            file = _readable(directory, kind, catalog)
            if file.header != columns_of(catalog, kind):
                _rewrite(file, kind, catalog, [row for _, row in file.rows])
                added[file.path.name] = file.missing
    return added
