"""A hand-built published database for the dashboard tests, and a headless Chromium to look at it.

The scenario (window_end 2024-06-01, so the current 30 days are [2024-05-02, 2024-06-01) and the
previous 30 days are [2024-04-02, 2024-05-02)); teams and services:
    payments: checkout, billing, ledger (ledger never deployed: a quiet service)
    platform: gateway
Every deployment ships exactly one change. Rework: checkout Apr 17 and May 13, gateway May 22.
The expected page values are worked out in tests/test_dashboard.py next to the assertions.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from websockets.sync.client import connect

UTC = dt.timezone.utc
WINDOW_END = dt.datetime(2024, 6, 1)  # a naive UTC timestamp, as dbt writes it
TEAM_OF = {"checkout": "payments", "billing": "payments", "ledger": "payments", "gateway": "platform"}


@dataclass
class Deploy:
    """One deployment and the one change it shipped."""

    service: str
    day: dt.date
    failed: bool = False
    coding: float = 0
    review: float = 0
    wait: float = 0
    rework: bool = False


def _days(month: int, *days: int) -> list[dt.date]:
    return [dt.date(2024, month, d) for d in days]


# Previous window. Lead times (coding = whole lead time, review = wait = 0 here):
#   checkout 10,20,30,40,50,60 h; billing 100,200,300 h; gateway 5,15,25 h. Failed: checkout Apr 14, gateway Apr 16.
PREVIOUS = (
    [Deploy("checkout", d, d.day == 14, coding=h, rework=d.day == 17)
     for d, h in zip(_days(4, 5, 8, 11, 14, 17, 20), (10, 20, 30, 40, 50, 60))]
    + [Deploy("billing", d, coding=h) for d, h in zip(_days(4, 10, 20, 30), (100, 200, 300))]
    + [Deploy("gateway", d, d.day == 16, coding=h) for d, h in zip(_days(4, 6, 16, 26), (5, 15, 25))]
)
# Current window: checkout every other day May 3..31 (15), each change 2 h coding + 4 h review + 2 h wait = 8 h,
# failed May 11; billing May 6,12,18,24,30 (5), 20 + 30 + 22 = 72 h, failed May 18;
# gateway every third day May 4..31 (10), 1 + 2 + 1 = 4 h, none failed.
CURRENT = (
    [Deploy("checkout", d, d.day == 11, 2, 4, 2, rework=d.day == 13) for d in _days(5, *range(3, 32, 2))]
    + [Deploy("billing", d, d.day == 18, 20, 30, 22) for d in _days(5, 6, 12, 18, 24, 30)]
    + [Deploy("gateway", d, False, 1, 2, 1, rework=d.day == 22) for d in _days(5, *range(4, 32, 3))]
)
# (service, created, hours to restore or None if open, deployment it is attributed to (service, day) or None)
INCIDENTS = [
    ("checkout", dt.datetime(2024, 4, 14, 12, tzinfo=UTC), 4, ("checkout", dt.date(2024, 4, 14))),
    ("gateway", dt.datetime(2024, 4, 16, 12, tzinfo=UTC), 2, ("gateway", dt.date(2024, 4, 16))),
    ("billing", dt.datetime(2024, 4, 25, 12, tzinfo=UTC), None, None),
    ("checkout", dt.datetime(2024, 5, 11, 14, tzinfo=UTC), 1.5, ("checkout", dt.date(2024, 5, 11))),
    ("billing", dt.datetime(2024, 5, 18, 12, tzinfo=UTC), 30, ("billing", dt.date(2024, 5, 18))),
    ("gateway", dt.datetime(2024, 5, 20, 9, tzinfo=UTC), 0.5, None),
]
# dora_summary's 30-day rows as dbt would compute them from the deployments, changes and incidents
# above (2023 thresholds: deployments/week >= 7 elite, >= 1 high, >= 0.25 medium; lead time <= 24 h
# elite, <= 168 high, <= 720 medium; failure rate <= 5% elite, <= 10% high, <= 15% medium; restore
# <= 1 h elite, <= 24 high, <= 168 medium). Per scope: deployments (= changes: one each), failed,
# incidents created in the window and the resolved ones; rework deployments; medians of lead time,
# coding, review, deploy wait and restore (resolved incidents); levels deployment frequency / lead
# time / failure rate / restore / overall (no report gives rework-rate levels).
SUMMARY_COLUMNS = (
    "scope", "scope_name", "deployments", "failed_deployments", "rework_deployments", "incidents",
    "resolved_incidents", "lead_time_median_hours", "coding_median_hours", "review_median_hours",
    "deploy_wait_median_hours", "time_to_restore_median_hours", "deployment_frequency_level", "lead_time_level",
    "change_failure_rate_level", "time_to_restore_level", "overall_level",
)
# Current window [May 2, Jun 1): 30 deployments / (30/7) = 7 /week; payments = checkout + billing;
# every incident of the window is resolved.
SUMMARY = [
    ("org", "org", 30, 2, 2, 3, 3, 8, 2, 4, 2, 1.5, "elite", "elite", "high", "high", "high"),
    ("team", "payments", 20, 2, 1, 2, 2, 8, 2, 4, 2, 15.75, "high", "elite", "high", "high", "high"),
    ("team", "platform", 10, 0, 1, 1, 1, 4, 1, 2, 1, 0.5, "high", "elite", "elite", "elite", "elite"),
    ("service", "checkout", 15, 1, 1, 1, 1, 8, 2, 4, 2, 1.5, "high", "elite", "high", "high", "high"),
    ("service", "billing", 5, 1, 0, 1, 1, 72, 20, 30, 22, 30, "high", "high", "low", "medium", "medium"),
    ("service", "gateway", 10, 0, 1, 1, 1, 4, 1, 2, 1, 0.5, "high", "elite", "elite", "elite", "elite"),
]
# Previous window [Apr 2, May 2) (window_offset 1): each change is all coding (review = wait = 0);
# billing's incident of Apr 25 is still open, so billing has no restore median.
PREVIOUS_SUMMARY = [
    # 12 / (30/7) = 2.8; leads 5..300: median (30 + 40) / 2 = 35; failed 2 / 12 = 16.7%; restore (4 + 2) / 2
    ("org", "org", 12, 2, 1, 3, 2, 35, 35, 0, 0, 3, "high", "high", "low", "high", "low"),
    # 9 / (30/7) = 2.1; leads 10..60, 100, 200, 300: median 50; 1 / 9 = 11.1%
    ("team", "payments", 9, 1, 1, 2, 1, 50, 50, 0, 0, 4, "high", "high", "medium", "high", "medium"),
    ("team", "platform", 3, 1, 0, 1, 1, 15, 15, 0, 0, 2, "medium", "elite", "low", "high", "low"),
    ("service", "checkout", 6, 1, 1, 1, 1, 35, 35, 0, 0, 4, "high", "high", "low", "high", "low"),
    ("service", "billing", 3, 0, 0, 1, 0, 200, 200, 0, 0, None, "medium", "medium", "elite", None, "medium"),
    ("service", "gateway", 3, 1, 0, 1, 1, 15, 15, 0, 0, 2, "medium", "elite", "low", "high", "low"),
]
# dora_weekly rows: (deployments, lead time median h, CFR, TTR median h, rework deployments) per week
# from a first Monday. The org has 14 weeks from 2024-02-26; its week of 2024-04-29 was quiet (0
# deployments, no medians).
ORG_WEEKLY = [
    (2, 40, 0.5, 4, 0), (3, 36, 0.0, None, 0), (3, 30, 0.0, None, 0), (2, 44, 0.0, None, 0), (4, 35, 0.25, 3, 0),
    (3, 28, 0.0, None, 0), (3, 50, 0.333, 2, 0), (2, 150, 0.0, None, 1), (3, 90, 0.0, None, 0),
    (0, None, None, None, 0), (7, 8, 0.0, None, 0), (8, 8, 0.125, 1.5, 1), (7, 8, 0.143, 30, 1), (8, 6, 0.0, 0.5, 0),
]
# The payments team has 12 weeks from 2024-03-11.
PAYMENTS_WEEKLY = [
    (1, 60, 0.0, None, 0), (2, 50, 0.0, None, 0), (3, 40, 0.333, 4, 0), (2, 30, 0.0, None, 0),
    (2, 100, 0.0, None, 0), (1, 200, 0.0, None, 1), (2, 300, 0.0, None, 0), (0, None, None, None, 0),
    (5, 8, 0.0, None, 0), (5, 8, 0.2, 1.5, 1), (4, 72, 0.25, 30, 0), (5, 8, 0.0, None, 0),
]
# marts.dora_levels of the 2023 report, as dbt reads dora_benchmarks.csv: (metric, level, better,
# published bound, lower bound, upper bound); every level is reachable.
LEVELS_2023 = [
    ("deployments_per_week", "elite", "higher", 7, 7, None), ("deployments_per_week", "high", "higher", 1, 1, 7),
    ("deployments_per_week", "medium", "higher", 0.25, 0.25, 1), ("deployments_per_week", "low", "higher", None, None, 0.25),
    ("lead_time_hours", "elite", "lower", 24, None, 24), ("lead_time_hours", "high", "lower", 168, 24, 168),
    ("lead_time_hours", "medium", "lower", 720, 168, 720), ("lead_time_hours", "low", "lower", None, 720, None),
    ("change_failure_rate", "elite", "lower", 0.05, None, 0.05), ("change_failure_rate", "high", "lower", 0.1, 0.05, 0.1),
    ("change_failure_rate", "medium", "lower", 0.15, 0.1, 0.15), ("change_failure_rate", "low", "lower", None, 0.15, None),
    ("time_to_restore_hours", "elite", "lower", 1, None, 1), ("time_to_restore_hours", "high", "lower", 24, 1, 24),
    ("time_to_restore_hours", "medium", "lower", 168, 24, 168), ("time_to_restore_hours", "low", "lower", None, 168, None),
]
WEEKLY = {("org", "org"): (dt.date(2024, 2, 26), ORG_WEEKLY), ("team", "payments"): (dt.date(2024, 3, 11), PAYMENTS_WEEKLY)}
NOW = dt.datetime(2024, 6, 1, 12, tzinfo=UTC)

_MARTS_DDL = """
-- the marts' column types as dbt builds them: timestamps are naive UTC
create schema marts;
create table marts.deployments (deployment_id varchar, service varchar, team varchar, repository varchar,
  method varchar, definition_id varchar, environment varchar, commit_sha varchar, deployed_at timestamp,
  url varchar, is_failed boolean, incident_count bigint, failure_reason varchar, is_rework boolean,
  rework_definition_id varchar, rework_reason varchar);
create table marts.changes (change_id varchar, service varchar, repository varchar, pr_number bigint, title varchar,
  author varchar, first_commit_at timestamp, opened_at timestamp, merged_at timestamp, deployment_id varchar,
  deployed_at timestamp, lead_time_hours double, coding_hours double, review_hours double,
  deploy_wait_hours double);
create table marts.incidents (incident_id varchar, service varchar, team varchar, source varchar,
  definition_id varchar, title varchar, urgency varchar, priority varchar, url varchar, created_at timestamp,
  resolved_at timestamp, time_to_restore_hours double, deployment_id varchar, attribution varchar,
  recovery_from_deployment_hours double);
create table marts.dora_weekly (scope varchar, scope_name varchar, week_start date, deployments bigint,
  deployment_days bigint, changes bigint, lead_time_median_hours double, lead_time_p90_hours double,
  failed_deployments bigint, change_failure_rate double, rework_deployments bigint, rework_rate double,
  incidents bigint, time_to_restore_median_hours double);
create table marts.dora_summary (scope varchar, scope_name varchar, window_days integer, window_offset integer,
  window_start timestamp, window_end timestamp, deployments bigint, deployments_per_week double, changes bigint,
  lead_time_median_hours double, coding_median_hours double, review_median_hours double,
  deploy_wait_median_hours double, failed_deployments bigint, change_failure_rate double,
  rework_deployments bigint, rework_rate double, incidents bigint, resolved_incidents bigint,
  time_to_restore_median_hours double, deployment_frequency_level varchar, lead_time_level varchar,
  change_failure_rate_level varchar, time_to_restore_level varchar, rework_rate_level varchar,
  benchmark_year integer, overall_level varchar);
create table marts.dora_levels (report_year integer, metric varchar, level varchar, level_rank integer,
  better varchar, published_bound double, is_reachable boolean, lower_bound double, upper_bound double);
"""


def write_definitions(folder: Path) -> Path:
    """Seed CSVs as the dbt project keeps them: one definition uses a method default."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deployment_definitions.csv").write_text(
        "definition_id,method,repository,branch,environment\n"
        "merged-to-main,merged_pr,,main,\n"
        "prod-deploys,github_deployment,acme/gateway,,\n"
    )
    (folder / "incident_definitions.csv").write_text("definition_id,method,service,urgency\nall-pagerduty,pagerduty,,\n")
    (folder / "definition_methods.csv").write_text(
        "kind,method,filter,required,default_value\n"
        "deployment,merged_pr,repository,false,\n"
        "deployment,merged_pr,branch,true,\n"
        "deployment,github_deployment,repository,false,\n"
        "deployment,github_deployment,environment,false,production\n"
        "incident,pagerduty,service,false,\n"
        "incident,pagerduty,urgency,false,\n"
        "rework,hotfix_pr,label,false,\n"
    )
    (folder / "services.csv").write_text(
        "service,team,repository,pagerduty_service\n"
        + "".join(f"{s},{t},acme/{s},{s.upper()}\n" for s, t in TEAM_OF.items())
    )
    (folder / "rework_definitions.csv").write_text("definition_id,method,label\nhotfix-label,hotfix_pr,hotfix\n")
    return folder


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection writing to path under the catalog name "published", as dora.core.publish does: a file
    named marts.duckdb opened directly would make "marts.<table>" ambiguous."""
    con = duckdb.connect()
    con.execute(f"attach '{path}' as published")
    con.execute("use published")
    con.execute("set TimeZone = 'UTC'")
    return con


def write_published_db(path: Path) -> Path:
    """The scenario's marts, plus meta.source_freshness, in a fresh DuckDB file."""
    con = connect_published(path)
    try:
        con.execute(_MARTS_DDL)
        ids = {}
        for n, d in enumerate(PREVIOUS + CURRENT):
            deployment_id = f"d{n}"
            ids[(d.service, d.day)] = deployment_id
            deployed_at = dt.datetime.combine(d.day, dt.time(10), UTC)
            lead = d.coding + d.review + d.wait
            first_commit = deployed_at - dt.timedelta(hours=lead)
            opened = first_commit + dt.timedelta(hours=d.coding)
            merged = opened + dt.timedelta(hours=d.review)
            causes = [(i, created) for i, (_, created, _, cause) in enumerate(INCIDENTS) if cause == (d.service, d.day)]
            failure_reason = "; ".join(
                f'incident i{i} "outage" (definition all-pagerduty, attributed by window), created '
                f"{(created - deployed_at).total_seconds() / 3600:.1f} h after the deployment" for i, created in causes)
            con.execute(
                "insert into marts.deployments values (?, ?, ?, ?, 'merged_pr', 'merged-to-main', 'production',"
                " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (deployment_id, d.service, TEAM_OF[d.service], f"acme/{d.service}", f"sha{n}", deployed_at,
                 f"https://github.com/acme/{d.service}/pull/{n}", d.failed, int(d.failed), failure_reason or None,
                 d.rework, "hotfix-label" if d.rework else None,
                 f'shipped acme/{d.service}#{n} "a change" (definition hotfix-label)' if d.rework else None),
            )
            con.execute(
                "insert into marts.changes values (?, ?, ?, ?, 'a change', 'dev', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"c{n}", d.service, f"acme/{d.service}", n, first_commit, opened, merged, deployment_id,
                 deployed_at, lead, d.coding, d.review, d.wait),
            )
        for n, (service, created, ttr, cause) in enumerate(INCIDENTS):
            resolved = created + dt.timedelta(hours=ttr) if ttr is not None else None
            con.execute(
                "insert into marts.incidents values (?, ?, ?, 'pagerduty', 'all-pagerduty', 'outage', 'high', null,"
                " ?, ?, ?, ?, ?, 'window', null)",
                (f"i{n}", service, TEAM_OF[service], f"https://pd/i{n}", created, resolved, ttr, ids.get(cause)),
            )
        for offset, rows in enumerate((SUMMARY, PREVIOUS_SUMMARY)):
            end = WINDOW_END - dt.timedelta(days=30 * offset)
            for row in rows:
                values = dict(zip(SUMMARY_COLUMNS, row))
                deployments, failed = values["deployments"], values["failed_deployments"]
                values |= {
                    "window_days": 30, "window_offset": offset, "window_start": end - dt.timedelta(days=30),
                    "window_end": end, "deployments_per_week": deployments / (30 / 7), "changes": deployments,
                    "change_failure_rate": failed / deployments,
                    "rework_rate": values["rework_deployments"] / deployments, "benchmark_year": 2023,
                }
                con.execute(
                    f"insert into marts.dora_summary ({', '.join(values)}) values ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
        for (scope, name), (first_week, weeks) in WEEKLY.items():
            for week, (deployed, lead, cfr, ttr, rework) in enumerate(weeks):
                con.execute(
                    "insert into marts.dora_weekly values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    (scope, name, first_week + dt.timedelta(weeks=week), deployed, min(deployed, 5), deployed,
                     lead, lead, round(deployed * (cfr or 0)), cfr, rework, rework / deployed if deployed else None,
                     ttr),
                )
        con.executemany("insert into marts.dora_levels values (2023, ?, ?, ?, ?, ?, true, ?, ?)",
                        [(metric, level, rank % 4 + 1, better, bound, lower, upper)
                         for rank, (metric, level, better, bound, lower, upper) in enumerate(LEVELS_2023)])
        con.execute(
            "create schema meta;"
            "create table meta.source_freshness (source text, resource text, last_loaded_at timestamptz,"
            " row_count bigint);"
            "insert into meta.source_freshness values"
            " ('github', 'pull_requests', '2024-06-01 06:00:00+00', 1234),"
            " ('pagerduty', 'incidents', '2024-05-28 06:00:00+00', 56);"
        )
    finally:
        con.close()
    return path


def write_empty_db(path: Path) -> Path:
    """The marts of a new install: every table exists, none has a row."""
    con = connect_published(path)
    try:
        con.execute(_MARTS_DDL)
    finally:
        con.close()
    return path


# --- a real headless browser over the Chrome DevTools Protocol ----------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]


@dataclass
class Page:
    """One browser tab: evaluate JavaScript in it, read what went wrong, take screenshots."""

    browser: "Browser"
    session: str
    errors: list[str] = field(default_factory=list)
    loaded: bool = False

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, session=self)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280) -> Path:
        metrics = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        metrics["height"] = self.evaluate("document.documentElement.scrollHeight")
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


class Browser:
    """Debian's chromium, started once, driven over its DevTools websocket."""

    def __init__(self) -> None:
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            pytest.fail("chromium is not installed: the dashboard tests need it (apt-get install -y chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="dora-chromium-"))
        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ids = itertools.count(1)
        self.pages: dict[str, Page] = {}
        self.socket = connect(self._websocket_url(), max_size=None, open_timeout=10, legacy=True)

    def _websocket_url(self) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if port_file.exists() and len(lines := port_file.read_text().split()) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            if self.process.poll() is not None:
                pytest.fail(f"chromium exited at start with code {self.process.returncode}")
            time.sleep(0.05)
        pytest.fail("chromium did not open its DevTools port within 15 s")

    def send(self, method: str, params: dict | None = None, session: Page | None = None) -> dict:
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session.session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=20))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"{method} failed: {reply['error']}")
                return reply["result"]
            self._event(reply)

    def _event(self, event: dict) -> None:
        page = self.pages.get(event.get("sessionId", ""))
        method, params = event.get("method"), event.get("params", {})
        if page is None:
            return
        if method == "Runtime.exceptionThrown":
            page.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            page.errors.append(json.dumps(params.get("args"))[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            page.errors.append(params["entry"].get("text", ""))
        elif method == "Page.loadEventFired":
            page.loaded = True

    def open(self, url: str) -> Page:
        """A new tab showing url, returned once its load event fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = self.pages[session] = Page(self, session)
        for domain in ("Runtime", "Page", "Log"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + 20
        while not page.loaded:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not finish loading within 20 s")
            self._event(json.loads(self.socket.recv(timeout=20)))
        return page

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
