"""The custom API: `dora serve` over HTTP and `dora record` on the command line, both into the landing area."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from self_service_fixtures import warehouse_write_lock  # noqa: F401 (fixture)

from dora.core import landing
from dora.record_cli import record
from dora.serve import MAX_BODY, make_server, serve

TOKEN = "test-token-5f2c"
DEPLOYMENT = {"service": "checkout", "environment": "production", "commit_sha": "ABC1234DEF",
              "deployed_at": "2026-11-20T11:00:00+01:00", "repository": "acme/checkout",
              "url": "https://ci.example.com/run/1"}
INCIDENT = {"id": "INC-7", "service": "checkout", "title": "Checkout errors", "created_at": "2026-11-20T12:00:00Z",
            "urgency": "high", "deployment_id": "deploy-1"}


@pytest.fixture
def api(home):
    """A real server thread on 127.0.0.1 with an OS-chosen port; yields its port."""
    server = make_server(home.landing, TOKEN, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def post(port: int, path: str, payload, token: str | None = TOKEN, content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return request(port, "POST", path, body, headers)


def landed(home, kind: str) -> list[dict]:
    return [record for record, _ in landing.read_lines(home.landing / f"{kind}.jsonl")]


def without_received_at(records: list[dict]) -> list[dict]:
    return [{name: value for name, value in record.items() if name != "received_at"} for record in records]


def test_a_deployment_lands_normalized_with_a_content_derived_id(home, api):
    status, body = post(api, "/deployments", DEPLOYMENT)
    # the documented derivation: sha256 of [kind, service, environment, commit_sha, deployed_at in UTC]
    identity = json.dumps(["deployments", "checkout", "production", "abc1234def", "2026-11-20T10:00:00+00:00"])
    expected_id = "dep-" + hashlib.sha256(identity.encode()).hexdigest()[:24]
    assert (status, body) == (201, {"id": expected_id, "status": "created"})
    [stored] = landed(home, "deployments")
    assert stored.pop("received_at").endswith("+00:00")
    assert stored == {"id": expected_id, "service": "checkout", "environment": "production",
                      "commit_sha": "abc1234def", "repository": "acme/checkout",
                      "deployed_at": "2026-11-20T10:00:00+00:00", "url": "https://ci.example.com/run/1"}


def test_the_same_payload_twice_is_stored_once(home, api):
    assert post(api, "/deployments", DEPLOYMENT)[0] == 201
    # same content, other spelling of the same instant: still the same record
    again = {**DEPLOYMENT, "deployed_at": "2026-11-20T10:00:00Z"}
    assert post(api, "/deployments", again)[1]["status"] == "unchanged"
    assert len(landed(home, "deployments")) == 1


def test_reposting_an_id_updates_the_record(home, api):
    assert post(api, "/incidents", INCIDENT) == (201, {"id": "INC-7", "status": "created"})
    resolved = {**INCIDENT, "resolved_at": "2026-11-20T13:30:00+00:00"}
    assert post(api, "/incidents", resolved) == (200, {"id": "INC-7", "status": "updated"})
    assert post(api, "/incidents", resolved) == (200, {"id": "INC-7", "status": "unchanged"})
    versions = without_received_at(landed(home, "incidents"))
    assert [version["resolved_at"] for version in versions] == [None, "2026-11-20T13:30:00+00:00"]


BAD_RECORDS = [
    ("/deployments", {k: v for k, v in DEPLOYMENT.items() if k != "service"}, "service", "is required"),
    ("/deployments", {**DEPLOYMENT, "service": 42}, "service", "must be a string, got int"),
    ("/deployments", {**DEPLOYMENT, "environment": "  "}, "environment", "must not be empty"),
    ("/deployments", {**DEPLOYMENT, "deployed_at": "2026-11-20T10:00:00"}, "deployed_at",
     "timestamp without a UTC offset: '2026-11-20T10:00:00' (add Z or +HH:MM)"),
    ("/deployments", {**DEPLOYMENT, "deployed_at": "yesterday"}, "deployed_at",
     "not an ISO-8601 timestamp: 'yesterday'"),
    ("/deployments", {**DEPLOYMENT, "commit_sha": "main"}, "commit_sha",
     "not a hexadecimal commit sha (7-64 hex digits): 'main'"),
    ("/deployments", {**DEPLOYMENT, "repository": "checkout"}, "repository", "not an owner/name repository: 'checkout'"),
    ("/deployments", {**DEPLOYMENT, "url": "javascript:alert(1)"}, "url", "not an http(s) URL: 'javascript:alert(1)'"),
    ("/deployments", {**DEPLOYMENT, "id": "x" * 1001}, "id", "longer than 1000 characters"),
    ("/deployments", {**DEPLOYMENT, "sha": "abc1234"}, "sha",
     "unknown field; allowed: commit_sha, deployed_at, environment, id, repository, service, url"),
    ("/deployments", ["not", "an", "object"], "body", "must be a JSON object"),
    ("/incidents", {**INCIDENT, "commit_sha": "abc1234"}, "deployment_id", "give deployment_id or commit_sha, not both"),
    ("/incidents", {**INCIDENT, "resolved_at": "2026-11-20T11:59:59Z"}, "resolved_at", "is before created_at"),
    ("/incidents", {**INCIDENT, "created_at": None}, "created_at", "is required"),
]


@pytest.mark.parametrize(("path", "payload", "field", "message"), BAD_RECORDS)
def test_bad_records_get_a_400_naming_the_field_and_store_nothing(home, api, path, payload, field, message):
    status, body = post(api, path, payload)
    assert (status, body) == (400, {"error": f"{field}: {message}", "field": field})
    assert list(home.landing.iterdir()) == []


def test_a_time_more_than_a_day_ahead_is_refused_naming_the_field(home, api):
    status, body = post(api, "/deployments", {**DEPLOYMENT, "deployed_at": "2999-01-01T00:00:00Z"})
    assert (status, body["field"]) == (400, "deployed_at")
    assert body["error"].startswith("deployed_at: more than a day in the future: '2999-01-01T00:00:00+00:00' "
                                    "(the time here is ")
    result = CliRunner().invoke(record, ["incident", "--service", "checkout", "--title", "Down",
                                         "--created-at", "2026-11-20T12:00:00Z", "--resolved-at", "2999-01-01T00:00:00Z"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "Error: Invalid value for '--resolved-at': more than a day in the future: '2999-01-01T00:00:00+00:00'")
    assert list(home.landing.iterdir()) == []


def test_a_day_ahead_is_the_limit():
    now = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    # 11:00 at +01:00 on Nov 21 is exactly a day after 10:00 UTC on Nov 20: accepted
    assert landing.validate(landing.DEPLOYMENTS, {**DEPLOYMENT, "deployed_at": "2026-11-21T11:00:00+01:00"},
                            now)["deployed_at"] == "2026-11-21T10:00:00+00:00"
    with pytest.raises(landing.RecordInvalid) as refused:
        landing.validate(landing.DEPLOYMENTS, {**DEPLOYMENT, "deployed_at": "2026-11-21T10:00:01Z"}, now)
    assert str(refused.value) == ("deployed_at: more than a day in the future: '2026-11-21T10:00:01+00:00' "
                                  "(the time here is 2026-11-20T10:00:00Z)")


def test_serve_refuses_to_start_without_a_token(home, monkeypatch):
    monkeypatch.delenv("DORA_API_TOKEN", raising=False)
    result = CliRunner().invoke(serve, ["--port", "0"])
    assert (result.exit_code, result.stderr) == (1, "Error: set DORA_API_TOKEN to the bearer token clients must send\n")


def test_concurrent_posts_all_land_as_whole_lines(home, api):
    payloads = [{**DEPLOYMENT, "id": f"D-{n}"} for n in range(24)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda payload: post(api, "/deployments", payload)[0], payloads))
    assert statuses == [201] * 24
    assert sorted(record["id"] for record in landed(home, "deployments")) == sorted(f"D-{n}" for n in range(24))


def test_malformed_json_is_a_400(home, api):
    status, body = post(api, "/incidents", b'{"service": "checkout",')
    assert (status, body["field"]) == (400, "body")
    assert body["error"].startswith("body is not valid JSON")
    assert list(home.landing.iterdir()) == []


@pytest.mark.parametrize("token", [None, "wrong", "", TOKEN + "x", TOKEN[:-1]])
def test_without_the_right_bearer_token_nothing_is_stored(home, api, token):
    status, body = post(api, "/deployments", DEPLOYMENT, token=token)
    assert (status, body) == (401, {"error": "missing or wrong bearer token"})
    assert list(home.landing.iterdir()) == []


def test_basic_auth_is_not_a_bearer_token(home, api):
    headers = {"Content-Type": "application/json", "Authorization": f"Basic {TOKEN}"}
    assert request(api, "POST", "/deployments", json.dumps(DEPLOYMENT).encode(), headers)[0] == 401


def test_oversized_bodies_are_refused(home, api):
    padding = "x" * (MAX_BODY + 1)
    status, body = post(api, "/deployments", json.dumps({**DEPLOYMENT, "url": padding}).encode())
    assert (status, body) == (413, {"error": "body over 65536 bytes"})
    assert list(home.landing.iterdir()) == []


def test_content_type_must_be_json(home, api):
    status, body = post(api, "/deployments", DEPLOYMENT, content_type="text/plain")
    assert (status, body) == (415, {"error": "Content-Type must be application/json"})
    assert list(home.landing.iterdir()) == []
    assert post(api, "/deployments", DEPLOYMENT, content_type="application/json; charset=utf-8")[0] == 201


def test_a_negative_content_length_is_refused(home, api):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", "Content-Length": "-1"}
    connection = http.client.HTTPConnection("127.0.0.1", api, timeout=10)
    connection.putrequest("POST", "/deployments")
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (400, {"error": "Content-Length must be a number of bytes"})
    connection.close()
    assert list(home.landing.iterdir()) == []


def test_healthz_and_unknown_paths(api):
    assert request(api, "GET", "/healthz") == (200, {"status": "ok"})
    assert post(api, "/changes", DEPLOYMENT)[0] == 404


def test_injection_looking_strings_are_stored_literally(home, api):
    title = "x'); drop table raw_custom.incidents; -- <script>alert(1)</script> \"\\n"
    assert post(api, "/incidents", {**INCIDENT, "title": title, "id": "'; --"})[0] == 201
    [stored] = landed(home, "incidents")
    assert (stored["id"], stored["title"]) == ("'; --", title)


def test_recording_works_while_a_run_holds_the_warehouse_lock(home, api, warehouse_write_lock):
    assert post(api, "/deployments", DEPLOYMENT)[0] == 201
    result = CliRunner().invoke(record, ["incident", "--service", "checkout", "--title", "Down",
                                         "--created-at", "2026-11-20T12:00:00Z", "--id", "INC-1"])
    assert result.exit_code == 0, result.output
    assert [len(landed(home, kind)) for kind in ("deployments", "incidents")] == [1, 1]


def test_record_cli_stores_a_deployment_and_updates_an_incident(home):
    runner = CliRunner()
    result = runner.invoke(record, ["deployment", "--service", "checkout", "--environment", "production",
                                    "--sha", "abc1234", "--at", "2026-11-20T10:00:00Z", "--id", "D-1"])
    assert (result.exit_code, result.stdout) == (0, "deployment D-1 created\n")
    incident = ["incident", "--service", "checkout", "--title", "Down", "--created-at", "2026-11-20T12:00:00Z",
                "--deployment-id", "D-1", "--urgency", "high"]
    first = runner.invoke(record, incident)
    second = runner.invoke(record, [*incident, "--resolved-at", "2026-11-20T12:45:00-00:30"])
    assert first.stdout.split()[-1] == "created" and second.stdout.split()[-1] == "updated"
    assert first.stdout.split()[1] == second.stdout.split()[1]  # same derived id: same service, title, created-at
    versions = without_received_at(landed(home, "incidents"))
    # -00:30 is half an hour behind UTC: 12:45 there is 13:15 UTC
    assert versions[-1] == {"id": first.stdout.split()[1], "service": "checkout", "title": "Down",
                            "urgency": "high", "priority": None, "created_at": "2026-11-20T12:00:00+00:00",
                            "resolved_at": "2026-11-20T13:15:00+00:00", "deployment_id": "D-1",
                            "commit_sha": None, "url": None}


def test_record_cli_names_the_option_at_fault(home):
    result = CliRunner().invoke(record, ["deployment", "--service", "checkout", "--environment", "production",
                                         "--sha", "abc1234", "--at", "2026-11-20 10:00"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for '--at': timestamp without a UTC offset: "
                                              "'2026-11-20 10:00' (add Z or +HH:MM)")
    assert list(home.landing.iterdir()) == []


APPENDER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from dora.core import landing
    area = landing.LandingArea(Path(sys.argv[1]))
    n = 0
    while True:
        record = landing.validate(landing.DEPLOYMENTS, {"id": f"D-{n}", "service": "s", "environment": "e",
                                  "commit_sha": "abcdef1", "deployed_at": "2026-11-20T10:00:00Z", "url": None})
        area.append(landing.DEPLOYMENTS, record)
        print(record["id"], flush=True)  # acknowledged: only after append returned (fsync done)
        n += 1
    """)


def test_a_killed_writer_loses_no_acknowledged_record(home):
    writer = subprocess.Popen([sys.executable, "-c", APPENDER, str(home.landing)], stdout=subprocess.PIPE, text=True)
    acknowledged = [writer.stdout.readline().strip() for _ in range(200)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    acknowledged += [line.strip() for line in writer.stdout]
    stored = [record["id"] for record in landed(home, "deployments")]
    # every acknowledged record is there, in order; at most the one in flight when killed is extra
    assert stored[:len(acknowledged)] == acknowledged
    assert len(stored) - len(acknowledged) in (0, 1)


def test_a_torn_last_line_is_skipped_then_cut_by_the_next_writer(home):
    area = landing.LandingArea(home.landing)
    area.append(landing.DEPLOYMENTS, landing.validate(landing.DEPLOYMENTS, {**DEPLOYMENT, "id": "D-1"}))
    path = home.landing / "deployments.jsonl"
    complete = path.stat().st_size
    with path.open("ab") as handle:  # what a writer killed halfway through os.write leaves
        handle.write(b'{"id": "D-2", "service": "chec')
    assert [(record["id"], offset) for record, offset in landing.read_lines(path)] == [("D-1", complete)]
    # a fresh writer (another process) cuts the unacknowledged fragment before appending
    landing.LandingArea(home.landing).append(
        landing.DEPLOYMENTS, landing.validate(landing.DEPLOYMENTS, {**DEPLOYMENT, "id": "D-3"}))
    assert [record["id"] for record in landed(home, "deployments")] == ["D-1", "D-3"]
    assert path.read_bytes().count(b"\n") == 2 and b"chec\"" not in path.read_bytes()
