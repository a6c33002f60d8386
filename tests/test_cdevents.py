"""POST /cdevents: CloudEvents carrying CDEvents (spec 0.4 and 0.5), in binary and structured HTTP mode.

The events are the CDEvents spec's own conformance examples (tests/cdevents_examples/README.md),
sent as they are or with the context id, timestamp and subject changed for a scenario.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from test_custom_api import TOKEN, api, landed, request  # noqa: F401 (api is a fixture)

EXAMPLES = Path(__file__).parent / "cdevents_examples"
VERSIONS = ["0.4.1", "0.5.1"]
TYPES = ["service_deployed", "service_upgraded", "service_rolledback",
         "incident_detected", "incident_reported", "incident_resolved"]
SERVICE_EVENT = {"service": "mySubject123", "environment": "test123", "subject_id": "mySubject123",
                 "occurred_at": "2023-03-20T14:27:05.315384+00:00", "title": None, "url": None, "incident_id": None}
INCIDENT_ID = "inc-" + hashlib.sha256(json.dumps(["incidents", "cdevents", "/monitoring/prod1", "incident-123"])
                                      .encode()).hexdigest()[:24]
INCIDENT_EVENT = {"service": "myApp", "environment": "prod1", "subject_id": "incident-123",
                  "occurred_at": "2022-11-11T13:52:20.079000+00:00", "title": "Response time above threshold of 100ms",
                  "url": None, "incident_id": INCIDENT_ID}
# what each example means, worked out from the example files
EXPECTED = {
    "service_deployed": SERVICE_EVENT, "service_upgraded": SERVICE_EVENT, "service_rolledback": SERVICE_EVENT,
    "incident_detected": INCIDENT_EVENT,
    "incident_reported": {**INCIDENT_EVENT, "url": "https://my-issues.example/incidents/ticket-345"},
    "incident_resolved": {**INCIDENT_EVENT, "title": "Response time restored below 100ms"},
}


def example(version: str, name: str) -> dict:
    return json.loads((EXAMPLES / f"spec-v{version}" / f"{name}.json").read_text())


def event_id(source: str, id_: str) -> str:
    """The documented id of a received CloudEvent: sha256 of ["cdevents", source, id]."""
    return "cde-" + hashlib.sha256(json.dumps(["cdevents", source, id_]).encode()).hexdigest()[:24]


def send(port: int, cdevent: dict, mode: str = "binary", token: str | None = TOKEN, **attributes: str | None):
    """POST one CDEvent as a CloudEvent; `attributes` override (None: leave out) the CloudEvent's."""
    context = cdevent["context"]
    given = {"specversion": "1.0", "id": context["id"], "source": context["source"], "type": context["type"],
             "subject": cdevent["subject"]["id"], "time": context["timestamp"], **attributes}
    given = {name: value for name, value in given.items() if value is not None}
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if mode == "binary":
        headers |= {"Content-Type": "application/json", **{f"ce-{name}": value for name, value in given.items()}}
        body = cdevent
    else:
        headers["Content-Type"] = "application/cloudevents+json"
        body = {**given, "datacontenttype": "application/json", "data": cdevent}
    return request(port, "POST", "/cdevents", json.dumps(body).encode(), headers)


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", TYPES)
def test_each_event_type_lands_with_its_raw_event_and_spec_version(home, api, name, version, mode):
    cdevent = example(version, name)
    context = cdevent["context"]
    expected_id = event_id(context["source"], context["id"])
    assert send(api, cdevent, mode) == (201, {"id": expected_id, "status": "created"})
    [stored] = landed(home, "cdevents")
    assert stored.pop("received_at").endswith("+00:00")
    assert json.loads(stored.pop("event")) == cdevent
    assert stored == {"id": expected_id, "source": context["source"], "event_id": context["id"],
                      "type": context["type"], "spec_version": version, "predicate": name.replace("_", "."),
                      "commit_sha": None, "repository": None, **EXPECTED[name]}


def test_a_repeated_event_is_stored_once(home, api):
    deployed = example("0.5.1", "service_deployed")
    assert send(api, deployed, "binary")[0] == 201
    assert send(api, deployed, "structured")[1]["status"] == "unchanged"
    # same CloudEvent source and id: a duplicate even if its content differs; the first one stays
    changed = copy.deepcopy(deployed)
    changed["context"]["timestamp"] = "2023-03-21T00:00:00Z"
    assert send(api, changed)[1]["status"] == "unchanged"
    assert [record["occurred_at"] for record in landed(home, "cdevents")] == ["2023-03-20T14:27:05.315384+00:00"]
    # the same id from another source is another event
    elsewhere = copy.deepcopy(deployed)
    elsewhere["context"]["source"] = "/other/source"
    assert send(api, elsewhere)[0] == 201
    assert len(landed(home, "cdevents")) == 2


@pytest.mark.parametrize("token", [None, "wrong"])
def test_without_the_right_bearer_token_nothing_is_stored(home, api, token):
    assert send(api, example("0.5.1", "service_deployed"), token=token) == (
        401, {"error": "missing or wrong bearer token"})
    assert list(home.landing.iterdir()) == []


def changed(version: str, name: str, path: tuple[str, ...], value) -> dict:
    cdevent = example(version, name)
    parent = cdevent
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return cdevent


UNMAPPABLE = [
    (changed("0.5.1", "service_deployed", ("context", "type"), "dev.cdevents.service.removed.0.3.0"), "context.type",
     "event type 'dev.cdevents.service.removed.0.3.0' is not mapped; mapped: dev.cdevents.service.deployed, "
     "dev.cdevents.service.upgraded, dev.cdevents.service.rolledback, dev.cdevents.incident.detected, "
     "dev.cdevents.incident.reported, dev.cdevents.incident.resolved"),
    (changed("0.5.1", "service_deployed", ("context", "specversion"), "0.6.0"), "context.specversion",
     "CDEvents spec version '0.6.0' is not supported; supported: 0.4.x, 0.5.x"),
    (changed("0.4.1", "incident_detected", ("context", "version"), "0.3.0"), "context.version",
     "CDEvents spec version '0.3.0' is not supported; supported: 0.4.x, 0.5.x"),
    (changed("0.4.1", "service_deployed", ("context", "type"), "dev.cdevents.service.deployed.0.3.0"), "context.type",
     "event type version 0.3.0 is not one of CDEvents spec 0.4.1 (0.2.x)"),
    (changed("0.5.1", "service_upgraded", ("subject", "content"), {"artifactId": "pkg:oci/myapp"}),
     "subject.content.environment", "is required (a JSON object)"),
    (changed("0.5.1", "incident_detected", ("subject", "content"),
             {"environment": {"id": "prod1"}, "artifactId": "0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa"}),
     "subject.content.service.id",
     "an incident needs its service: subject.content.service.id, or a package URL in subject.content.artifactId"),
    (changed("0.5.1", "service_deployed", ("customData",), {"commit_sha": "main"}), "customData.commit_sha",
     "not a hexadecimal commit sha (7-64 hex digits): 'main'"),
]


@pytest.mark.parametrize(("cdevent", "field", "message"), UNMAPPABLE)
def test_events_it_cannot_map_get_a_422_with_the_reason_and_store_nothing(home, api, cdevent, field, message):
    assert send(api, cdevent) == (422, {"error": f"{field}: {message}", "field": field})
    assert list(home.landing.iterdir()) == []


def test_cloudevents_envelope_errors(home, api):
    deployed = example("0.5.1", "service_deployed")
    assert send(api, deployed, specversion="0.3") == (
        422, {"error": "specversion: CloudEvents '0.3' is not supported; supported: 1.0", "field": "specversion"})
    assert send(api, deployed, type="dev.cdevents.service.upgraded.0.3.0") == (422, {
        "error": "context.type: 'dev.cdevents.service.deployed.0.3.0' is not the CloudEvent's type "
                 "'dev.cdevents.service.upgraded.0.3.0'", "field": "context.type"})
    assert send(api, deployed, id=None) == (400, {"error": "ce-id: is required", "field": "ce-id"})
    assert send(api, deployed, "structured", source=None) == (400, {"error": "source: is required", "field": "source"})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents-batch+json"}
    assert request(api, "POST", "/cdevents", json.dumps([deployed]).encode(), headers) == (
        415, {"error": "Content-Type must be application/json or application/cloudevents+json"})
    assert list(home.landing.iterdir()) == []


def test_binary_mode_header_values_are_unquoted_and_percent_decoded(home, api):
    deployed = example("0.5.1", "service_deployed")
    # the binding's own example of percent-encoding, and a double-quoted value of older senders
    assert send(api, deployed, source="/Euro%20%E2%82%AC%20%F0%9F%98%80", id='"id \\"7\\""')[0] == 201
    [stored] = landed(home, "cdevents")
    assert (stored["source"], stored["event_id"]) == ("/Euro \u20ac \U0001F600", 'id "7"')
    assert send(api, deployed, source="/bad%C0%A0") == (
        400, {"error": "ce-source: percent-encoded bytes are not UTF-8", "field": "ce-source"})


def test_an_incident_without_a_service_takes_its_artifacts_name(home, api):
    detected = example("0.5.1", "incident_detected")
    del detected["subject"]["content"]["service"]  # artifactId pkg:oci/myapp@sha256%3A0b31...
    assert send(api, detected)[0] == 201
    assert [record["service"] for record in landed(home, "cdevents")] == ["myapp"]


def test_a_repository_counts_only_with_its_commit(home, api):
    deployed = example("0.5.1", "service_deployed")
    for n, custom in enumerate([{"commit_sha": "ABCDEF1", "repository": "acme/checkout"},
                                {"repository": "acme/checkout"}]):
        deployed["context"]["id"] = f"event-{n}"
        assert send(api, {**deployed, "customData": custom})[0] == 201
    assert [(record["commit_sha"], record["repository"]) for record in landed(home, "cdevents")] == [
        ("abcdef1", "acme/checkout"), (None, None)]


def test_an_empty_description_is_no_title(home, api):
    detected = example("0.4.1", "incident_detected")
    detected["subject"]["content"]["description"] = ""  # a string without minLength in the schema
    assert send(api, detected)[0] == 201
    assert [record["title"] for record in landed(home, "cdevents")] == [None]
