"""CDEvents from POST /cdevents through the `custom` dlt pipeline and dbt into the marts.

Scenario (January 2024, all UTC): service `checkout` (team `payments` by services.csv), repository
acme/checkout; deployment definition `cdevents-production` = custom, environment production;
incident definition `all-custom` = every custom incident. Events are the spec's conformance
examples (tests/cdevents_examples) with their ids, times and subjects changed:

  PRs #1 first commit Jan 1 08:00, merged 10:00 (c0ffee1); #2 Jan 2 08:00 / 10:00 (c0ffee2);
      #3 Jan 3 04:00 / 08:00 (c0ffee3)
  D1 service.deployed  (0.4, binary)     Jan 1 12:00 c0ffee1: the repository's baseline, ships #1 (no change)
  D2 service.upgraded  (0.5, structured) Jan 2 12:00 c0ffee2: ships #2, lead time 12:00 - 08:00 = 4 h;
     sent twice (once in each mode): stored once
  I1 incident.detected (0.5) Jan 2 14:00, .reported (0.5) 14:30 with a ticket, .resolved (0.4) 16:00:
     one incident, 14:00-16:00 (2 h), attributed by window to D2 (its latest deployment);
     recovery from D2 16:00 - 12:00 = 4 h
  D3 service.upgraded  (0.5) Jan 3 10:00 c0ffee3: ships #3, lead time 10:00 - 04:00 = 6 h
  S  service.deployed  (0.5) Jan 3 11:00 to staging: no deployment (definition: production)
  R  service.rolledback (0.4) Jan 3 13:00, no commit: a deployment (no lead time); the deployment
     before it in checkout/production is D3 (S is staging), so D3 failed: incident `Rollback in
     production` from D3 (10:00) to R (13:00), 3 h, recovery 3 h
  D4 service.deployed  (0.5) Jan 4 12:00, no customData: a deployment, no lead time
  I2 incident.detected (0.4) Jan 4 13:00 with customData.commit_sha c0ffee1, unresolved: caused by
     D1 (the deployment of that commit), although D4 is the latest deployment before it
So 5 deployments, 3 failed (D1, D2, D3): change failure rate 60%; time to restore 2 h and 3 h.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from test_cdevents import event_id, example, send
from test_custom_api import api  # noqa: F401 (fixture)
from test_dbt_pipeline import pr, ts

from dbt_fixtures import DbtProjectCopy, execute, load_rows
from dlt_sources.custom import custom
from dlt_sources.pipelines import make_pipeline

pytestmark = pytest.mark.slow  # every test here builds the warehouse with dbt or runs the pipeline

SERVICE_SOURCE = "/tekton/prod-cluster"  # context.source of the service events
INCIDENT_SOURCE = "/monitoring/prod1"  # context.source (and subject.source) of the incident examples
DEPLOYMENT_DEFINITIONS = """\
definition_id,method,repository,branch,label,author,title,workflow,event,conclusion,tag,environment,state,service,project,issue_type,status,component
cdevents-production,custom,,,,,,,,,,production,,,,,,
"""
INCIDENT_DEFINITIONS = """\
definition_id,method,service,urgency,priority,team,title,project,issue_type,label,component
all-custom,custom,,,,,,,,,
"""
SERVICES = "service,team,repository,pagerduty_service,jira\ncheckout,payments,,,\n"


def service_event(version: str, predicate: str, id_: str, at: str, environment: str = "production",
                  commit: str | None = None) -> dict:
    cdevent = example(version, f"service_{predicate}")
    cdevent["context"] |= {"id": id_, "source": SERVICE_SOURCE, "timestamp": at}
    cdevent["subject"] |= {"id": "checkout", "source": SERVICE_SOURCE}
    cdevent["subject"]["content"]["environment"] = {"id": environment}
    if commit:
        cdevent["customData"] = {"commit_sha": commit, "repository": "acme/checkout"}
    return cdevent


def incident_event(version: str, predicate: str, id_: str, at: str, incident: str, commit: str | None = None) -> dict:
    cdevent = example(version, f"incident_{predicate}")
    cdevent["context"] |= {"id": id_, "timestamp": at}
    cdevent["subject"]["id"] = incident
    cdevent["subject"]["content"]["service"]["id"] = "checkout"
    if commit:
        cdevent["customData"]["commit_sha"] = commit
    return cdevent


D2 = service_event("0.5.1", "upgraded", "d2", "2024-01-02T12:00:00Z", commit="c0ffee2")
EVENTS = [
    (service_event("0.4.1", "deployed", "d1", "2024-01-01T12:00:00Z", commit="c0ffee1"), "binary"),
    (D2, "structured"),
    (copy.deepcopy(D2), "binary"),
    (incident_event("0.5.1", "detected", "i1-detected", "2024-01-02T14:00:00Z", "INC-1"), "binary"),
    (incident_event("0.5.1", "reported", "i1-reported", "2024-01-02T14:30:00Z", "INC-1"), "structured"),
    (incident_event("0.4.1", "resolved", "i1-resolved", "2024-01-02T16:00:00+00:00", "INC-1"), "binary"),
    (service_event("0.5.1", "upgraded", "d3", "2024-01-03T10:00:00Z", commit="c0ffee3"), "binary"),
    (service_event("0.5.1", "deployed", "s", "2024-01-03T12:00:00+01:00", environment="staging"), "binary"),
    (service_event("0.4.1", "rolledback", "r", "2024-01-03T13:00:00Z"), "structured"),
    (service_event("0.5.1", "deployed", "d4", "2024-01-04T12:00:00Z"), "binary"),
    (incident_event("0.4.1", "detected", "i2-detected", "2024-01-04T13:00:00Z", "INC-2", commit="c0ffee1"), "binary"),
]
PULL_REQUESTS = [
    pr(1001, "acme/checkout", 1, "main", ts(1, "08:00"), ts(1, "09:00"), ts(1, "10:00"), "c0ffee1"),
    pr(1002, "acme/checkout", 2, "main", ts(2, "08:00"), ts(2, "09:00"), ts(2, "10:00"), "c0ffee2"),
    pr(1003, "acme/checkout", 3, "main", ts(3, "04:00"), ts(3, "06:00"), ts(3, "08:00"), "c0ffee3"),
]


def deployment(id_: str) -> str:
    return "custom:" + event_id(SERVICE_SOURCE, id_)


def incident(subject_id: str) -> str:
    """Our id of a CDEvents incident: sha256 of ["incidents", "cdevents", subject source, subject id]."""
    identity = json.dumps(["incidents", "cdevents", INCIDENT_SOURCE, subject_id])
    return "custom:inc-" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def run(home, project: DbtProjectCopy, *dbt_args: str) -> None:
    """What `dora run` does for these tables: load the landing files, then build the marts."""
    make_pipeline("custom", home).run(custom(str(home.landing)))
    result = project.dbt(*dbt_args)
    assert result.success, result.text


def test_cdevents_reach_the_marts(home, api, tmp_path):
    load_rows(home.warehouse, "raw_github.pull_requests", PULL_REQUESTS, "1700000001.000001")
    project = DbtProjectCopy.create(tmp_path / "dbt_project", home.warehouse)
    project.write_seed("deployment_definitions", DEPLOYMENT_DEFINITIONS)
    project.write_seed("incident_definitions", INCIDENT_DEFINITIONS)
    project.write_seed("services", SERVICES)
    # the first run misses I1's resolution and D3, sent later: R then follows D2, I1 is open
    later = [EVENTS.index(event) for event in EVENTS if event[0]["context"]["id"] in ("i1-resolved", "d3")]
    statuses = [send(api, cdevent, mode)[1]["status"] for n, (cdevent, mode) in enumerate(EVENTS) if n not in later]
    assert statuses == ["created"] * 2 + ["unchanged"] + ["created"] * 6
    # only what the next check reads (dbt costs per node): seeds and models up to marts.incidents
    run(home, project, "build", "--select", "+incidents", "--exclude-resource-type", "test", "unit_test")
    assert execute(home.warehouse, "select incident_id, strftime(created_at, '%m-%d %H:%M'), "
                                   "strftime(resolved_at, '%m-%d %H:%M'), deployment_id "
                                   "from marts.incidents order by created_at") == [
        ("custom:" + event_id(SERVICE_SOURCE, "r"), "01-02 12:00", "01-03 13:00", deployment("d2")),
        (incident("INC-1"), "01-02 14:00", None, deployment("d2")),
        (incident("INC-2"), "01-04 13:00", None, deployment("d1")),
    ]
    assert [send(api, *EVENTS[n])[1]["status"] for n in later] == ["created"] * 2
    run(home, project, "build", "--select", "+deployments +changes +incidents", "--exclude-resource-type", "unit_test")
    assert execute(home.warehouse, "select count(*) from raw_custom.cdevents") == [(10,)]

    assert execute(home.warehouse, """
        select deployment_id, service, team, definition_id, environment, commit_sha,
               strftime(deployed_at, '%m-%d %H:%M'), is_failed, incident_count
        from marts.deployments order by deployed_at""") == [
        (deployment("d1"), "checkout", "payments", "cdevents-production", "production", "c0ffee1", "01-01 12:00", True, 1),
        (deployment("d2"), "checkout", "payments", "cdevents-production", "production", "c0ffee2", "01-02 12:00", True, 1),
        (deployment("d3"), "checkout", "payments", "cdevents-production", "production", "c0ffee3", "01-03 10:00", True, 1),
        (deployment("r"), "checkout", "payments", "cdevents-production", "production", None, "01-03 13:00", False, 0),
        (deployment("d4"), "checkout", "payments", "cdevents-production", "production", None, "01-04 12:00", False, 0),
    ]
    assert execute(home.warehouse, "select change_id, deployment_id, lead_time_hours from marts.changes "
                                 "order by change_id") == [
        ("1002", deployment("d2"), 4.0), ("1003", deployment("d3"), 6.0)]
    assert execute(home.warehouse, """
        select incident_id, service, team, title, strftime(created_at, '%m-%d %H:%M'),
               strftime(resolved_at, '%m-%d %H:%M'), time_to_restore_hours, deployment_id, attribution,
               recovery_from_deployment_hours, url
        from marts.incidents order by created_at""") == [
        (incident("INC-1"), "checkout", "payments", "Response time above threshold of 100ms", "01-02 14:00",
         "01-02 16:00", 2.0, deployment("d2"), "window", 4.0, "https://my-issues.example/incidents/ticket-345"),
        ("custom:" + event_id(SERVICE_SOURCE, "r"), "checkout", "payments", "Rollback in production", "01-03 10:00",
         "01-03 13:00", 3.0, deployment("d3"), "deployment_id", 3.0, None),
        (incident("INC-2"), "checkout", "payments", "Response time above threshold of 100ms", "01-04 13:00",
         None, None, deployment("d1"), "commit_sha", None, None),
    ]
