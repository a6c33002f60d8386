"""dlt source `custom`: deployments, incidents and CDEvents recorded through `dora record` / `dora serve`.

Reads the landing files (dora.core.landing) incrementally: the byte offset consumed per file is kept in
dlt resource state, so each run reads only lines appended since the last one. A record sent again
with the same id is a newer version; dlt's merge keeps the one with the latest `received_at`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dlt
from dlt.extract.resource import DltResource

from dlt_sources.rows import LOAD_FILE_FORMAT
from dora.core import landing
from dora.core.home import Home


def _columns(kind: landing.RecordKind) -> dict[str, dict]:
    """raw_custom column hints (docs/raw-tables.md): the record fields, then received_at sorting versions."""
    columns = {field.name: {"data_type": field.data_type, "nullable": not field.required and field.name != "id"}
               for field in kind.fields}
    columns["received_at"] = {"data_type": "timestamp", "nullable": False, "dedup_sort": "desc"}
    return columns


def _landed(kind: landing.RecordKind, directory: Path) -> DltResource:
    def new_records() -> Iterator[dict]:
        offsets = dlt.current.resource_state().setdefault("offsets", {})
        path = directory / kind.path_name
        for record, offset in landing.read_lines(path, offsets.get(kind.path_name, 0)):
            yield record
            offsets[kind.path_name] = offset

    return dlt.resource(new_records, name=kind.name, primary_key="id", columns=_columns(kind),
                        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                        file_format=LOAD_FILE_FORMAT)


@dlt.source(name="custom")
def custom(landing_dir: str | None = None) -> list[DltResource]:
    """Every landing file (landing.KINDS); `landing_dir` defaults to the landing area of $DORA_HOME."""
    directory = Path(landing_dir) if landing_dir else Home.from_env().landing
    return [_landed(kind, directory) for kind in landing.KINDS.values()]
