"""The landing area: durable JSON-lines files of deployments, incidents and CDEvents sent by other tools.

`dora record` and `dora serve` validate a record here and append it to
`<home.landing>/<kind>.jsonl`; the `custom` dlt source reads new lines from there into the
warehouse. Writers never open DuckDB, so recording works while a pipeline run holds its lock.

Durability: each record is one line written with a single os.write on an O_APPEND file under an
exclusive flock, then fsync'ed before the caller acknowledges it. A writer killed mid-append can
leave an incomplete last line (no newline); it was never acknowledged, readers skip it, and the
next writer cuts it off before appending.

Identity: a record's `id` is given by the sender or derived from its identifying fields, so the
same payload sent twice is stored once, and a changed payload with the same id is a new version
(latest `received_at` wins downstream).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dora.core.files import fsync, locked

MAX_TEXT = 1000
# How far ahead of the receiving clock a time may be: the sender's clock may run ahead, a time
# further out is a typo (2999 for 2026). dbt's dated_after_load (macros/time.sql) allows the same.
MAX_AHEAD = timedelta(days=1)
# Far above the longest possible line: a dozen fields of MAX_TEXT characters, plus a CDEvent of at
# most dora.serve.MAX_BODY (64 KiB), each character JSON-escaped to at most 7.
MAX_LINE = 1 << 20


class RecordInvalid(ValueError):
    """A record field is missing or malformed; `field` names it for the sender."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise RecordInvalid(field, f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise RecordInvalid(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise RecordInvalid(field, f"longer than {MAX_TEXT} characters")
    return value


def _timestamp(field: str, value: object) -> str:
    """ISO-8601 with an offset, normalized to UTC; naive times are ambiguous and rejected."""
    text = _text(field, value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordInvalid(field, f"not an ISO-8601 timestamp: {text!r}") from None
    if moment.utcoffset() is None:
        raise RecordInvalid(field, f"timestamp without a UTC offset: {text!r} (add Z or +HH:MM)")
    return moment.astimezone(timezone.utc).isoformat()


def _sha(field: str, value: object) -> str:
    text = _text(field, value)
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", text):
        raise RecordInvalid(field, f"not a hexadecimal commit sha (7-64 hex digits): {text!r}")
    return text.lower()


def _repository(field: str, value: object) -> str:
    text = _text(field, value)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", text):
        raise RecordInvalid(field, f"not an owner/name repository: {text!r}")
    return text


def _url(field: str, value: object) -> str:
    text = _text(field, value)
    if not re.match(r"https?://\S+$", text):
        raise RecordInvalid(field, f"not an http(s) URL: {text!r}")
    return text


def _json_object(field: str, value: object) -> str:
    """A JSON object kept whole (a CDEvent), as JSON text; its size is bounded by the request's."""
    if not isinstance(value, dict):
        raise RecordInvalid(field, f"must be a JSON object, got {type(value).__name__}")
    return json.dumps(value)


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    parse: Callable[[str, object], str]

    @property
    def data_type(self) -> str:
        """The dlt column type of the raw_custom column this field lands in."""
        return "timestamp" if self.parse is _timestamp else "text"


@dataclass(frozen=True)
class RecordKind:
    """One kind of landed record: its fields (in raw_custom column order) and what identifies it."""

    name: str
    fields: tuple[Field, ...]
    identity: tuple[str, ...]

    @property
    def path_name(self) -> str:
        return f"{self.name}.jsonl"


DEPLOYMENTS = RecordKind("deployments", (
    Field("id", False, _text), Field("service", True, _text), Field("environment", True, _text),
    Field("commit_sha", True, _sha), Field("repository", False, _repository),
    Field("deployed_at", True, _timestamp), Field("url", False, _url),
), identity=("service", "environment", "commit_sha", "deployed_at"))

INCIDENTS = RecordKind("incidents", (
    Field("id", False, _text), Field("service", True, _text), Field("title", True, _text),
    Field("urgency", False, _text), Field("priority", False, _text),
    Field("created_at", True, _timestamp), Field("resolved_at", False, _timestamp),
    Field("deployment_id", False, _text), Field("commit_sha", False, _sha), Field("url", False, _url),
), identity=("service", "title", "created_at"))

# One CloudEvent received at POST /cdevents, as dora.core.cdevents maps it; id from its source and id.
CDEVENTS = RecordKind("cdevents", (
    Field("id", False, _text), Field("source", True, _text), Field("event_id", True, _text),
    Field("type", True, _text), Field("spec_version", True, _text), Field("predicate", True, _text),
    Field("subject_id", True, _text), Field("service", True, _text), Field("environment", True, _text),
    Field("occurred_at", True, _timestamp), Field("commit_sha", False, _sha), Field("repository", False, _repository),
    Field("incident_id", False, _text), Field("title", False, _text), Field("url", False, _url),
    Field("event", True, _json_object),
), identity=("source", "event_id"))

KINDS = {kind.name: kind for kind in (DEPLOYMENTS, INCIDENTS, CDEVENTS)}


def validate(kind: RecordKind, payload: object, now: datetime | None = None) -> dict[str, str | None]:
    """The normalized record (every field, None when absent, `id` always set) or RecordInvalid;
    `now` (default: the clock) is what a time may be at most MAX_AHEAD after."""
    if not isinstance(payload, dict):
        raise RecordInvalid("body", "must be a JSON object")
    known = {field.name for field in kind.fields}
    for name in payload:
        if name not in known:
            raise RecordInvalid(name, f"unknown field; allowed: {', '.join(sorted(known))}")
    record: dict[str, str | None] = {}
    for field in kind.fields:
        value = payload.get(field.name)
        if value is None:
            if field.required:
                raise RecordInvalid(field.name, "is required")
            record[field.name] = None
        else:
            record[field.name] = field.parse(field.name, value)
    latest = (now or datetime.now(timezone.utc)) + MAX_AHEAD
    for field in kind.fields:
        if field.parse is _timestamp and record[field.name] and datetime.fromisoformat(record[field.name]) > latest:
            raise RecordInvalid(field.name, f"more than a day in the future: {record[field.name]!r} "
                                            f"(the time here is {latest - MAX_AHEAD:%Y-%m-%dT%H:%M:%SZ})")
    if kind is INCIDENTS:
        if record["deployment_id"] and record["commit_sha"]:
            raise RecordInvalid("deployment_id", "give deployment_id or commit_sha, not both")
        if record["resolved_at"] and (datetime.fromisoformat(record["resolved_at"])
                                      < datetime.fromisoformat(record["created_at"])):
            raise RecordInvalid("resolved_at", "is before created_at")
    if record["id"] is None:
        record["id"] = derived_id(kind.name, [record[name] for name in kind.identity])
    return record


def derived_id(name: str, identity: list[str | None]) -> str:
    """`<first 3 letters of name>-` + 24 hex digits of sha256 of the JSON list [name, *identity]."""
    digest = hashlib.sha256(json.dumps([name, *identity]).encode()).hexdigest()
    return f"{name[:3]}-{digest[:24]}"


def read_lines(path: Path, offset: int = 0) -> Iterator[tuple[dict, int]]:
    """(record, offset after its line) for each complete line from `offset`; an incomplete last line is skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            try:
                yield json.loads(line), offset
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: corrupt line ending at byte {offset}: {error}") from None


def has_records(directory: Path) -> bool:
    """Whether a record was ever landed in `directory`: the custom source then counts as configured
    (the landing files are append-only, so this stays true once it is)."""
    for kind in KINDS.values():
        with closing(read_lines(directory / kind.path_name)) as lines:
            if next(lines, None) is not None:
                return True
    return False


def _content(record: dict) -> str:
    """What makes two versions of a record equal: every field but the time it was received."""
    return json.dumps({name: value for name, value in record.items() if name != "received_at"}, sort_keys=True)


class LandingArea:
    """Appends records to the landing files; one instance may serve many requests (it caches what it read)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._offsets: dict[str, int] = {}
        self._latest: dict[str, dict[str, str]] = {}

    def path(self, kind: RecordKind) -> Path:
        return self.directory / kind.path_name

    def append(self, kind: RecordKind, record: dict[str, str | None], keep_first: bool = False) -> str:
        """Store a validated record durably; returns "created", "updated" or "unchanged" (not written).

        With keep_first an id already stored is never replaced ("unchanged"), whatever the content."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(kind)
        created = not path.exists()
        with locked(path, os.O_RDWR | os.O_APPEND | os.O_CREAT) as descriptor:
            self._cut_incomplete_tail(descriptor)
            latest = self._catch_up(kind, path)
            previous = latest.get(record["id"])
            if previous == _content(record) or (keep_first and previous is not None):
                return "unchanged"
            received = {**record, "received_at": datetime.now(timezone.utc).isoformat()}
            line = (json.dumps(received) + "\n").encode()
            if os.write(descriptor, line) != len(line):
                raise OSError(f"short write to {path}")
            os.fsync(descriptor)
            latest[record["id"]] = _content(record)
            self._offsets[kind.name] += len(line)
        if created:
            fsync(self.directory)
        return "created" if previous is None else "updated"

    def _cut_incomplete_tail(self, descriptor: int) -> None:
        """Drop a line a killed writer left without its newline (never acknowledged), so appends stay parseable."""
        size = os.fstat(descriptor).st_size
        if size == 0 or os.pread(descriptor, 1, size - 1) == b"\n":
            return
        start = max(0, size - MAX_LINE)
        tail = os.pread(descriptor, size - start, start)
        os.ftruncate(descriptor, start + tail.rfind(b"\n") + 1)
        os.fsync(descriptor)

    def _catch_up(self, kind: RecordKind, path: Path) -> dict[str, str]:
        """The latest content per id, reading only lines appended since this instance last looked."""
        if self._offsets.get(kind.name, 0) > path.stat().st_size:
            self._offsets.pop(kind.name)
            self._latest.pop(kind.name, None)
        latest = self._latest.setdefault(kind.name, {})
        offset = self._offsets.get(kind.name, 0)
        for record, offset in read_lines(path, offset):
            latest[record["id"]] = _content(record)
        self._offsets[kind.name] = offset
        return latest
