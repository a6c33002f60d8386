"""The PagerDuty source against the simulated org: windows of at most 6 months, the 10,000
offset limit, incidents resolved after they were first loaded, faults and a rejected key."""

import json
from datetime import timedelta

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from simorg.faults import Fault
from simorg.scenario import Incident, PagerDutyService, Scenario
from simorg.server import SimulatedOrg
from sources_fixtures import ago, fast_retries, pagerduty_source, rows, run  # noqa: F401


def resolved(id: str, number: int, created_days: float, service_id: str = "PSVC1") -> Incident:
    """An incident resolved one hour after it was created."""
    done = ago(created_days) + timedelta(hours=1)
    return Incident(id, number, f"Incident {number}", service_id, created_at=ago(created_days), updated_at=done,
                    status="resolved", resolved_at=done)


def small_scenario() -> Scenario:
    return Scenario(
        pagerduty_services=[
            PagerDutyService("PSVC1", "checkout", teams=["Payments"], description="Checkout API", created_at=ago(500)),
            PagerDutyService("PSVC2", "search"),
        ],
        incidents=[
            Incident("PINC1", 1, "DB down", "PSVC1", created_at=ago(2), updated_at=ago(1), priority="P1",
                     status="resolved", resolved_at=ago(1), teams=["Payments"]),
            Incident("PINC2", 2, "Slow search", "PSVC2", created_at=ago(10), updated_at=ago(10), urgency="low"),
            Incident("PINC3", 3, "Old outage", "PSVC1", created_at=ago(200), updated_at=ago(199),
                     status="resolved", resolved_at=ago(199)),
            Incident("PINC4", 4, "Ancient", "PSVC1", created_at=ago(400), updated_at=ago(399),
                     status="resolved", resolved_at=ago(399)),
            Incident("PINC5", 5, "Flaky", "PSVC1", created_at=ago(300), updated_at=ago(299), status="acknowledged"),
        ],
    )


def test_first_run_loads_a_year_in_six_month_windows(home):
    with SimulatedOrg(small_scenario()) as org:
        run(home, pagerduty_source(org))
        # 365 days in windows of at most 180: [-365, -185), [-185, -5), [-5, now], plus the
        # list of incidents open now.
        assert org.requests[("pagerduty", "incidents")] == 4
        assert org.requests[("pagerduty", "services")] == 1

    # PINC4 was created 400 days ago, before the 365-day backfill.
    assert rows(home, "raw_pagerduty", """
        select id, incident_number, title, status, urgency, priority, service_id, service_name, teams,
               created_at, resolved_at, updated_at
        from {t}.incidents order by id""") == [
        ("PINC1", 1, "DB down", "resolved", "high", "P1", "PSVC1", "checkout", '["Payments"]', ago(2), ago(1), ago(1)),
        ("PINC2", 2, "Slow search", "triggered", "low", None, "PSVC2", "search", "[]", ago(10), None, ago(10)),
        ("PINC3", 3, "Old outage", "resolved", "high", None, "PSVC1", "checkout", "[]", ago(200), ago(199), ago(199)),
        ("PINC5", 5, "Flaky", "acknowledged", "high", None, "PSVC1", "checkout", "[]", ago(300), None, ago(299)),
    ]
    services = rows(home, "raw_pagerduty", "select id, name, description, status, teams, created_at from {t}.services order by id")
    assert [(s[0], s[1], s[2], s[3], json.loads(s[4]), s[5]) for s in services] == [
        ("PSVC1", "checkout", "Checkout API", "active", ["Payments"], ago(500)),
        ("PSVC2", "search", "", "active", [], None),
    ]


def test_incident_resolved_after_the_first_run_shows_resolved(home):
    scenario = small_scenario()
    with SimulatedOrg(scenario) as org:
        run(home, pagerduty_source(org))

        pinc2 = next(i for i in scenario.incidents if i.id == "PINC2")
        pinc2.status, pinc2.resolved_at, pinc2.updated_at = "resolved", ago(hours=1), ago(hours=1)
        scenario.incidents.append(Incident("PINC6", 6, "New", "PSVC2", created_at=ago(hours=2), updated_at=ago(hours=2)))
        org.reset_requests()
        run(home, pagerduty_source(org))
        # The cursor was PINC1's updated_at, ago(1); minus 72 h lookback the window starts at
        # ago(4): one window, plus the open list (PINC5, PINC6). PINC2 (created ago(10), open at
        # the first run, resolved since) is in neither: it is fetched by id, and only it.
        assert org.requests[("pagerduty", "incidents")] == 2
        assert org.requests[("pagerduty", "incident")] == 1

    assert rows(home, "raw_pagerduty", "select id, status, resolved_at from {t}.incidents order by id") == [
        ("PINC1", "resolved", ago(1)),
        ("PINC2", "resolved", ago(hours=1)),
        ("PINC3", "resolved", ago(199)),
        ("PINC5", "acknowledged", None),
        ("PINC6", "triggered", None),
    ]


def test_backfill_beyond_the_offset_limit_is_complete(home):
    # 10,050 incidents in the middle window [-185, -5) (one every 20 minutes from 180 days
    # ago, all resolved): more than offset paging can reach (offset + limit <= 10,000, else
    # 400), so completeness shows that window was halved instead of paged past the limit.
    scenario = Scenario(
        pagerduty_services=[PagerDutyService("PSVC1", "checkout")],
        incidents=[resolved(f"P{n}", n, 180 - n / 72) for n in range(10_050)],
    )
    with SimulatedOrg(scenario) as org:
        run(home, pagerduty_source(org).with_resources("incidents"))
    assert rows(home, "raw_pagerduty", "select count(*), count(distinct id) from {t}.incidents") == [(10_050, 10_050)]


def test_faults_are_survived(home):
    with SimulatedOrg(small_scenario()) as org:
        org.inject(
            Fault.too_many_requests(service="pagerduty", path="/incidents", retry_after=1),
            Fault.server_error(service="pagerduty", path="/services", times=2, status=503),
            Fault.invalid_json(service="pagerduty", path="/incidents"),
        )
        run(home, pagerduty_source(org))
        assert org.faults.pending == []
    assert rows(home, "raw_pagerduty", "select count(*) from {t}.incidents") == [(4,)]
    assert rows(home, "raw_pagerduty", "select count(*) from {t}.services") == [(2,)]


def test_rate_limit_reset_beyond_the_max_wait_fails_clearly(home):
    with SimulatedOrg(small_scenario()) as org:
        org.inject(Fault.too_many_requests(service="pagerduty", path="/services", retry_after=60))
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, pagerduty_source(org, max_rate_limit_wait=5))
    assert "PagerDuty rate limit exhausted" in str(failure.value)


def test_rejected_key_names_the_setting_and_hides_the_key(home):
    with SimulatedOrg(small_scenario()) as org:
        with pytest.raises(PipelineStepFailed) as failure:
            run(home, pagerduty_source(org, api_key="pd_wrong_secret_4711"))
    message = str(failure.value)
    assert "PagerDuty rejected the credential (401 Unauthorized)" in message
    assert "sources.pagerduty.api_key (environment variable SOURCES__PAGERDUTY__API_KEY)" in message
    assert "pd_wrong_secret_4711" not in message


def test_a_three_year_backfill_asks_only_for_windows_of_at_most_six_months(home):
    # One resolved incident every 5 days for 3 years (219 incidents). 1,100 days in windows of at
    # most 180 days: 6 of 180 and one of the last 20 days; the simulated PagerDuty refuses (400) any
    # since/until wider than 6 months and any offset + limit past 10,000, so a complete load shows
    # every request stayed inside both caps. Plus the list of incidents open now: 8 requests.
    scenario = Scenario(
        pagerduty_services=[PagerDutyService("PSVC1", "checkout")],
        incidents=[resolved(f"P{n}", n, 5 * n + 1) for n in range(219)],
    )
    with SimulatedOrg(scenario) as org:
        run(home, pagerduty_source(org, backfill_days=1100).with_resources("incidents"))
        assert org.requests == {("pagerduty", "incidents"): 8}
    assert rows(home, "raw_pagerduty", "select count(*), count(distinct id) from {t}.incidents") == [(219, 219)]
