"""CDEvents -> landing records: what a `service.*` or `incident.*` CDEvent means for the DORA metrics.

Accepted: spec 0.4 (context `version` 0.4.x, event types 0.2.x) and spec 0.5 (context
`specversion` 0.5.x, event types 0.3.x), types `dev.cdevents.service.{deployed,upgraded,rolledback}`
and `dev.cdevents.incident.{detected,reported,resolved}` (docs/custom-api.md). Each event becomes
one record of landing.CDEVENTS that keeps the whole CDEvent, its spec version and the fields the
metrics read; dbt turns service events into custom deployments and folds the events of one incident
subject into one custom incident (models/candidates/*__custom.sql). Anything else is Unmappable,
with the reason.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from dora.core import landing
from dora.core.cloudevents import CloudEvent

PREFIX = "dev.cdevents."
PREDICATES = {"service": ("deployed", "upgraded", "rolledback"), "incident": ("detected", "reported", "resolved")}
# spec version (major.minor) -> the version (major.minor) of its event types
TYPE_VERSIONS = {"0.4": "0.2", "0.5": "0.3"}
CLOUDEVENTS_VERSION = "1.0"
# record field -> where it comes from in the event, to name it when it is malformed
ORIGIN = {"event_id": "id", "subject_id": "subject.id",
          "environment": "subject.content.environment.id", "occurred_at": "context.timestamp",
          "commit_sha": "customData.commit_sha", "repository": "customData.repository"}


class Unmappable(ValueError):
    """A CloudEvent this API does not map (type, version) or whose CDEvent lacks what the metrics need."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _object(parent: dict, name: str, path: str) -> dict:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise Unmappable(path, "is required (a JSON object)")
    return value


def _string(parent: dict, name: str, path: str, required: bool = True) -> str | None:
    value = parent.get(name)
    if value is not None and not isinstance(value, str):
        raise Unmappable(path, f"must be a string, got {type(value).__name__}")
    if value and value.strip():
        return value
    if required:
        raise Unmappable(path, "is required (a non-empty string)")
    return None


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _spec_version(context: dict) -> str:
    """`specversion` (0.5) or `version` (0.4), checked against the versions this API maps."""
    name = "specversion" if "specversion" in context else "version"
    version = _string(context, name, f"context.{name}")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version) or _minor(version) not in TYPE_VERSIONS:
        raise Unmappable(f"context.{name}", f"CDEvents spec version {version!r} is not supported; "
                                            f"supported: {', '.join(v + '.x' for v in TYPE_VERSIONS)}")
    return version


def _subject_and_predicate(event_type: str, spec_version: str) -> tuple[str, str]:
    match = re.fullmatch(r"dev\.cdevents\.(\w+)\.(\w+)\.(\d+\.\d+\.\d+)", event_type)
    subject, predicate, type_version = match.groups() if match else (None, None, None)
    if predicate not in PREDICATES.get(subject, ()):
        mapped = [f"{PREFIX}{subject}.{predicate}" for subject, names in PREDICATES.items() for predicate in names]
        raise Unmappable("context.type", f"event type {event_type!r} is not mapped; mapped: {', '.join(mapped)}")
    expected = TYPE_VERSIONS[_minor(spec_version)]
    if _minor(type_version) != expected:
        raise Unmappable("context.type", f"event type version {type_version} is not one of CDEvents spec "
                                         f"{spec_version} ({expected}.x)")
    return subject, predicate


def artifact_name(artifact_id: str | None) -> str | None:
    """The name in a package URL (`pkg:oci/myapp@sha256:...` -> `myapp`); None for anything else."""
    match = re.fullmatch(r"pkg:[^/]+/(?:[^@?#]*/)?([^/@?#]+)(?:@[^?#]*)?(?:\?[^#]*)?(?:#.*)?", artifact_id or "")
    return unquote(match.group(1)) if match else None


def _service(subject_name: str, subject: dict, content: dict) -> str:
    """A service event's subject is the service; an incident names it, or the artifact it concerns."""
    if subject_name == "service":
        return _string(subject, "id", "subject.id")
    service = content.get("service")
    if isinstance(service, dict) and service.get("id"):
        return _string(service, "id", "subject.content.service.id")
    name = artifact_name(content.get("artifactId"))
    if name is None:
        raise Unmappable("subject.content.service.id", "an incident needs its service: subject.content.service.id, "
                                                       "or a package URL in subject.content.artifactId")
    return name


def to_record(event: CloudEvent) -> dict[str, str | None]:
    """The validated landing.CDEVENTS record of one CloudEvent carrying a CDEvent, else Unmappable."""
    if event.attributes["specversion"] != CLOUDEVENTS_VERSION:
        raise Unmappable("specversion", f"CloudEvents {event.attributes['specversion']!r} is not supported; "
                                        f"supported: {CLOUDEVENTS_VERSION}")
    cdevent = event.data
    if not isinstance(cdevent, dict):
        raise Unmappable("data", "must be a CDEvent (a JSON object with context and subject)")
    context = _object(cdevent, "context", "context")
    subject = _object(cdevent, "subject", "subject")
    content = _object(subject, "content", "subject.content")
    spec_version = _spec_version(context)
    event_type = _string(context, "type", "context.type")
    if event_type != event.attributes["type"]:
        raise Unmappable("context.type", f"{event_type!r} is not the CloudEvent's type {event.attributes['type']!r}")
    subject_name, predicate = _subject_and_predicate(event_type, spec_version)
    custom = cdevent.get("customData") if isinstance(cdevent.get("customData"), dict) else {}
    subject_id = _string(subject, "id", "subject.id")
    description = _string(content, "description", "subject.content.description", required=False)
    ticket = _string(content, "ticketURI", "subject.content.ticketURI", required=False)
    payload = {
        "source": event.attributes["source"], "event_id": event.attributes["id"], "type": event_type,
        "spec_version": spec_version, "predicate": f"{subject_name}.{predicate}", "subject_id": subject_id,
        "service": _service(subject_name, subject, content),
        "environment": _string(_object(content, "environment", "subject.content.environment"), "id",
                               "subject.content.environment.id"),
        "occurred_at": _string(context, "timestamp", "context.timestamp"),
        # without the commit, the repository says nothing about which changes shipped: no lead time
        "commit_sha": custom.get("commit_sha"),
        "repository": custom.get("repository") if custom.get("commit_sha") is not None else None,
        "incident_id": None, "title": description[:landing.MAX_TEXT] if description else None,
        "url": ticket if ticket and re.match(r"https?://\S+$", ticket) else None,
        "event": cdevent,
    }
    if subject_name == "incident":
        # later events of one incident name the same subject (id, and source, which defaults to the event's)
        subject_source = subject.get("source") or event.attributes["source"]
        payload["incident_id"] = landing.derived_id("incidents", ["cdevents", subject_source, subject_id])
    try:
        return landing.validate(landing.CDEVENTS, payload)
    except landing.RecordInvalid as invalid:
        raise Unmappable(ORIGIN.get(invalid.field, invalid.field), invalid.message) from None
