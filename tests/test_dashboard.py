"""The dashboard, rendered from a hand-built published database and looked at in headless Chromium.

Scenario: tests/dashboard_fixtures.py. Current window [2024-05-02, 2024-06-01), previous window
[2024-04-02, 2024-05-02); 30 days = 30/7 weeks. Tiles show dora_summary's values of the current
window (window_offset 0), the change is against its previous window (window_offset 1), and the
lead-time stages are its stage medians: the dashboard computes no metric of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dora.dashboard import render_dashboard
from dora.dashboard.data import collect
from dora.dashboard.render import page as dashboard_page
from dashboard_fixtures import NOW, Browser, connect_published, write_definitions, write_empty_db, write_published_db

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

TILES_JS = """Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map(t => [t.dataset.metric, [
  t.querySelector('.tile-value').textContent,
  t.querySelector('.level') ? t.querySelector('.level').textContent : null,
  t.querySelector('.delta').textContent]]))"""


def choose(page, scope_key: str) -> None:
    """Pick a scope in the filter the way a reader does: set the select and fire its change event."""
    page.evaluate(
        f"(() => {{ const s = document.getElementById('scope'); s.value = {scope_key!r};"
        " s.dispatchEvent(new Event('change')); })()"
    )


def column(page, table: str, index: int) -> list[str]:
    return page.evaluate(
        f"[...document.querySelectorAll('#{table}-table tbody tr')].map(r => r.cells[{index}].textContent)"
    )


def open_edited_scenario(browser, folder: Path, edit_sql: str):
    """The scenario's page after changing its published marts with edit_sql."""
    db = write_published_db(folder / "marts.duckdb")
    con = connect_published(db)
    con.execute(edit_sql)
    con.close()
    out = render_dashboard(db, write_definitions(folder / "definitions"), folder / "dashboard.html", now=NOW)
    return browser.open(out.as_uri())


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def scenario_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    return render_dashboard(
        write_published_db(folder / "marts.duckdb"),
        write_definitions(folder / "definitions"),
        folder / "out" / "dashboard.html",
        now=NOW,
    )


@pytest.fixture
def page(browser, scenario_page):
    opened = browser.open(scenario_page.as_uri())
    yield opened
    assert opened.errors == [], "the page logged errors"


def test_org_tiles_show_the_marts_values_and_the_change_from_the_previous_30_days(page):
    # Current (dora_summary, org): 30 deployments / (30/7) = 7 /week, elite; lead time median 8 h, elite;
    # CFR 2 failed / 30 = 6.67% -> "6.7%", high; time to restore median(1.5, 30, 0.5) = 1.5 h, high.
    # Previous window (dora_summary, window_offset 1): 12 deployments / (30/7) = 2.8 /week -> +150%;
    # lead times 5,10,15,20,25,30,40,50,60,100,200,300 -> median (30 + 40) / 2 = 35 h -> (8 - 35) / 35 = -77%;
    # CFR 2 / 12 = 16.7% -> 6.67 - 16.67 = -10 pts; restore median(4, 2) = 3 h (billing's is open) -> -50%.
    # Rework 2 / 30 = 6.67%, was 1 / 12 = 8.33%: -1.7 pts; no report gives it levels: no badge.
    assert page.evaluate(TILES_JS) == {
        "deployment_frequency": ["7 /week", "Elite", "▲ 150% from 2.8 /week · better"],
        "lead_time": ["8 h", "Elite", "▼ 77% from 35 h · better"],
        "change_failure_rate": ["6.7%", "High", "▼ 10 pts from 16.7% · better"],
        "time_to_restore": ["1.5 h", "High", "▼ 50% from 3 h · better"],
        "rework_rate": ["6.7%", None, "▼ 1.7 pts from 8.3% · better"],
    }
    # Next to every value, what it is computed from (dora_summary's counts).
    assert page.evaluate("[...document.querySelectorAll('#tiles .tile-basis')].map(b => b.textContent)") == [
        "30 deployments in 30 days", "median of 30 changes", "2 of 30 deployments failed",
        "median of 3 resolved of 3 incidents", "2 of 30 deployments were rework",
    ]
    assert page.evaluate("document.getElementById('overall').textContent") == "overall High"
    assert page.evaluate("document.getElementById('subtitle').textContent") == (
        "Last 30 days: 2 May 2024 to 31 May 2024 · page generated 1 Jun 2024, 12:00 UTC"
    )
    # Stages over the 30 current changes: coding 10x1, 15x2, 5x20 h -> median 2 h; review 10x2, 15x4, 5x30 -> 4 h;
    # deploy wait 10x1, 15x2, 5x22 -> 2 h.
    assert page.evaluate(
        "[...document.querySelectorAll('#lead-parts [data-part] b')].map(b => b.textContent)"
    ) == ["2 h", "4 h", "2 h"]
    shot = page.screenshot(ARTIFACTS / "dashboard.png")
    assert shot.stat().st_size > 50_000


def test_every_number_is_read_from_dora_summary(browser, tmp_path):
    # The detail marts emptied, dora_summary kept: tiles, changes and stages stay exactly as above.
    page = open_edited_scenario(
        browser, tmp_path, "delete from marts.deployments; delete from marts.changes; delete from marts.incidents"
    )
    assert page.evaluate(TILES_JS) == {
        "deployment_frequency": ["7 /week", "Elite", "▲ 150% from 2.8 /week · better"],
        "lead_time": ["8 h", "Elite", "▼ 77% from 35 h · better"],
        "change_failure_rate": ["6.7%", "High", "▼ 10 pts from 16.7% · better"],
        "time_to_restore": ["1.5 h", "High", "▼ 50% from 3 h · better"],
        "rework_rate": ["6.7%", None, "▼ 1.7 pts from 8.3% · better"],
    }
    assert page.evaluate(
        "[...document.querySelectorAll('#lead-parts [data-part] b')].map(b => b.textContent)"
    ) == ["2 h", "4 h", "2 h"]
    assert page.evaluate("document.querySelector('#lead-parts .chart-note').textContent").startswith(
        "Medians of each stage over 30 changes deployed in the last 30 days; the median lead time is 8 h"
    )
    # The levels are those of the report year dora_summary used (2023), from marts.dora_levels.
    assert page.evaluate("document.getElementById('benchmark-year').textContent") == " (DORA 2023 report)"
    assert page.errors == []


def test_without_an_earlier_window_there_is_nothing_to_compare_with(browser, tmp_path):
    # dora_summary has no window_offset 1 rows while the history has not reached the previous window.
    page = open_edited_scenario(browser, tmp_path, "delete from marts.dora_summary where window_offset = 1")
    assert {metric: delta for metric, (_, _, delta) in page.evaluate(TILES_JS).items()} == {
        metric: "nothing to compare with in the 30 days before"
        for metric in ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore", "rework_rate")
    }
    assert page.errors == []


def test_choosing_a_team_changes_tiles_charts_and_tables(page):
    choose(page, "team:payments")
    # payments (checkout + billing): 20 / (30/7) = 4.67 -> "4.7 /week", was 9 / (30/7) = 2.1 -> +122%;
    # lead time 8 h, was median of 10,20,30,40,50,60,100,200,300 = 50 h = 2.08 d -> "2.1 d", -84%;
    # CFR 2 / 20 = 10%, was 1 / 9 = 11.1% -> -1.1 pts; restore median(1.5, 30) = 15.75 h, was 4 h -> +294%, worse;
    # rework 1 / 20 = 5%, was 1 / 9 = 11.1% -> -6.1 pts.
    assert page.evaluate(TILES_JS) == {
        "deployment_frequency": ["4.7 /week", "High", "▲ 122% from 2.1 /week · better"],
        "lead_time": ["8 h", "Elite", "▼ 84% from 2.1 d · better"],
        "change_failure_rate": ["10%", "High", "▼ 1.1 pts from 11.1% · better"],
        "time_to_restore": ["15.8 h", "High", "▲ 294% from 4 h · worse"],
        "rework_rate": ["5%", None, "▼ 6.1 pts from 11.1% · better"],
    }
    # payments has 12 weeks in dora_weekly: 12 deployment dots; its lead time misses the quiet 8th week.
    assert page.evaluate("document.querySelectorAll('[data-metric=deployment_frequency] circle').length") == 12
    assert page.evaluate("document.querySelectorAll('[data-metric=lead_time] circle').length") == 11
    assert column(page, "team", 0) == ["payments"]
    assert column(page, "service", 0) == ["billing", "checkout", "ledger"]
    assert page.evaluate("location.hash") == "#team%3Apayments"

    choose(page, "team:platform")
    # platform has no dora_weekly rows: every chart says so instead of drawing an empty frame.
    assert page.evaluate("document.querySelectorAll('#charts .no-data').length") == 5
    assert column(page, "service", 0) == ["gateway"]
    # gateway's 10 changes: coding 1 h, review 2 h, deploy wait 1 h each.
    assert page.evaluate(
        "[...document.querySelectorAll('#lead-parts [data-part] b')].map(b => b.textContent)"
    ) == ["1 h", "2 h", "1 h"]


def test_a_quiet_service_says_no_data_yet(page):
    choose(page, "service:ledger")
    tiles = page.evaluate(TILES_JS)
    assert tiles == {metric: ["No data yet", None, ""] for metric in tiles} and len(tiles) == 5
    assert page.evaluate("document.querySelectorAll('#charts .no-data').length") == 5
    assert "No data yet" in page.evaluate("document.getElementById('lead-parts').textContent")
    assert column(page, "service", 2) == ["no data"]
    assert column(page, "team", 0) == ["payments"]


def test_no_scope_shows_a_broken_value(page):
    scopes = page.evaluate("[...document.querySelectorAll('#scope option')].map(o => o.value)")
    # org, 2 teams, 4 services (ledger only from the services seed).
    assert scopes == [
        "org:", "team:payments", "team:platform",
        "service:billing", "service:checkout", "service:gateway", "service:ledger",
    ]
    for scope in scopes:
        choose(page, scope)
        text = page.evaluate("document.body.innerText")
        assert not [word for word in ("NaN", "undefined", "null", "None", "Infinity") if word in text], scope


def test_trend_charts_draw_every_week_with_level_bands_behind(page):
    # 14 org weeks, each with a deployment count (the quiet week is 0, a real value).
    dots = page.evaluate(
        "[...document.querySelectorAll('[data-metric=deployment_frequency] circle title')].map(t => t.textContent)"
    )
    assert len(dots) == 14
    assert dots[-1] == "Week of 27 May 2024: 8 /week"
    assert dots[9] == "Week of 29 Apr 2024: 0 /week"
    # The quiet week has no lead-time median: 13 dots, and the line breaks into two pieces there.
    assert page.evaluate("document.querySelectorAll('[data-metric=lead_time] circle').length") == 13
    assert page.evaluate("document.querySelector('[data-metric=lead_time] path').getAttribute('d').split('M').length") == 3
    # Deployments peak at 8 /week, above the elite line (7): all four bands are drawn behind the line.
    assert page.evaluate(
        "[...document.querySelectorAll('[data-metric=deployment_frequency] rect')].map(r => r.getAttribute('class'))"
    ) == ["band-low", "band-medium", "band-high", "band-elite"]


EXPLAINED_JS = """[...document.querySelectorAll('#explained tbody tr')].map(r => [
  ...[...r.cells].slice(0, 4).map(c => c.textContent), [...r.querySelectorAll('.links a')].map(a => a.href)])"""


def test_failed_and_rework_deployments_of_the_window_are_listed_with_reasons_and_links(page):
    # Current window: checkout May 11 and billing May 18 failed (incidents i3, i4 at 14:00 and 12:00,
    # the deployments at 10:00); checkout May 13 and gateway May 22 rework. Newest first; the
    # reasons are marts.deployments' own text, the links its url and its incidents' urls.
    assert page.evaluate(EXPLAINED_JS) == [
        ["22 May 2024, 10:00 UTC", "gateway", "rework", 'shipped acme/gateway#38 "a change" (definition hotfix-label)',
         ["https://github.com/acme/gateway/pull/38"]],
        ["18 May 2024, 10:00 UTC", "billing", "failed",
         'incident i4 "outage" (definition all-pagerduty, attributed by window), created 2.0 h after the deployment',
         ["https://github.com/acme/billing/pull/29", "https://pd/i4"]],
        ["13 May 2024, 10:00 UTC", "checkout", "rework",
         'shipped acme/checkout#17 "a change" (definition hotfix-label)', ["https://github.com/acme/checkout/pull/17"]],
        ["11 May 2024, 10:00 UTC", "checkout", "failed",
         'incident i3 "outage" (definition all-pagerduty, attributed by window), created 4.0 h after the deployment',
         ["https://github.com/acme/checkout/pull/16", "https://pd/i3"]],
    ]
    choose(page, "team:platform")
    assert [row[1] for row in page.evaluate(EXPLAINED_JS)] == ["gateway"]
    choose(page, "service:billing")
    assert [row[0] for row in page.evaluate(EXPLAINED_JS)] == ["18 May 2024, 10:00 UTC"]
    choose(page, "service:ledger")
    assert page.evaluate("document.getElementById('explained').textContent") == (
        "No failed or rework deployment in the last 30 days")


LEVELS_2024_CHANGE_FAILURE = """
    delete from marts.dora_levels where metric = 'change_failure_rate';
    insert into marts.dora_levels values
        (2024, 'change_failure_rate', 'elite', 1, 'lower', 0.05, true, null, 0.05),
        (2024, 'change_failure_rate', 'high', 2, 'lower', 0.2, true, 0.05, 0.2),
        (2024, 'change_failure_rate', 'medium', 3, 'lower', 0.1, false, null, null),
        (2024, 'change_failure_rate', 'low', 4, 'lower', null, true, 0.2, null)"""


def test_levels_no_value_can_reach_have_no_band_and_are_named(browser, tmp_path):
    # The 2024 change failure rates as marts.dora_levels reads them (high 20%, medium 10%: medium is
    # never reached). The org peaks at 50%: elite, high and low bands, no medium one.
    page = open_edited_scenario(browser, tmp_path, LEVELS_2024_CHANGE_FAILURE)
    assert page.evaluate(
        "[...document.querySelectorAll('[data-metric=change_failure_rate] rect')].map(r => r.getAttribute('class'))"
    ) == ["band-elite", "band-high", "band-low"]
    assert page.evaluate("document.querySelector('dd[data-metric=change_failure_rate]').textContent") == (
        "Deployments followed by an incident attributed to them ÷ deployments. Levels: elite ≤ 5%, high ≤ 20%, "
        "low otherwise; medium (10%) is never reached: a value meeting it already meets a better level's bound."
    )
    assert page.errors == []


def test_a_report_year_without_levels_shows_none_and_says_why(browser, tmp_path):
    # dora_benchmark_year 2025: dbt leaves dora_levels empty and every level null.
    page = open_edited_scenario(browser, tmp_path, """
        delete from marts.dora_levels;
        update marts.dora_summary set benchmark_year = 2025, deployment_frequency_level = null, lead_time_level = null,
            change_failure_rate_level = null, time_to_restore_level = null, overall_level = null""")
    assert {metric: level for metric, (_, level, _) in page.evaluate(TILES_JS).items()} == dict.fromkeys(
        ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore", "rework_rate"))
    assert page.evaluate("document.querySelectorAll('#charts rect').length") == 0
    assert page.evaluate("document.querySelectorAll('#service-table .level').length") == 0
    note = ("The DORA 2025 report publishes no performance levels (from 2025 on the reports describe team profiles "
            "instead of elite, high, medium and low), so the metrics are shown without levels.")
    assert page.evaluate("document.getElementById('levels-note').textContent") == note
    assert page.evaluate("document.querySelector('dd[data-metric=lead_time]').textContent").endswith("Levels: none.")
    assert page.errors == []


def test_table_headers_sort_the_rows(page):
    # Deployments per week: billing 5/(30/7) = 1.2, gateway 2.3, checkout 3.5; ledger has none and stays last.
    page.evaluate("document.querySelector('#service-table th[data-column=deployment_frequency] button').click()")
    assert column(page, "service", 0) == ["billing", "gateway", "checkout", "ledger"]
    page.evaluate("document.querySelector('#service-table th[data-column=deployment_frequency] button').click()")
    assert column(page, "service", 0) == ["checkout", "gateway", "billing", "ledger"]
    assert page.evaluate(
        "document.querySelector('#service-table th[data-column=deployment_frequency]').getAttribute('aria-sort')"
    ) == "descending"
    # Change failure rate: gateway 0%, checkout 1/15 = 6.7%, billing 1/5 = 20% (low).
    page.evaluate("document.querySelector('#service-table th[data-column=change_failure_rate] button').click()")
    assert column(page, "service", 4) == ["0%Elite", "6.7%High", "20%Low", "no data"]


def test_definitions_in_force_and_source_freshness(page):
    definition = "document.querySelector('[data-definition={}]').textContent"
    # merged-to-main matched all 30 current deployments; prod-deploys none; all 3 current incidents are PagerDuty's.
    assert page.evaluate(definition.format("merged-to-main")) == (
        "merged-to-main (merged pr): branch = main · 30 matched in the last 30 days"
    )
    # prod-deploys leaves environment empty: dbt applies the method's default, so the page says so.
    assert page.evaluate(definition.format("prod-deploys")) == (
        "prod-deploys (github deployment): repository = acme/gateway, environment = production (default)"
        " · 0 matched in the last 30 days"
    )
    assert page.evaluate(definition.format("all-pagerduty")) == (
        "all-pagerduty (pagerduty): all · 3 matched in the last 30 days"
    )
    # checkout May 13 and gateway May 22 are rework by hotfix-label.
    assert page.evaluate(definition.format("hotfix-label")) == (
        "hotfix-label (hotfix pr): label = hotfix · 2 matched in the last 30 days"
    )
    rows = page.evaluate(
        "[...document.querySelectorAll('#freshness tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
    )
    # Loaded 06:00 on the page's day (generated 12:00): 6 h; pagerduty 4 days and 6 h earlier: 102 h = 4.25 d.
    assert rows == [
        ["github", "pull_requests", "1 Jun 2024, 06:00 UTC (6 h before this page)", "1,234"],
        ["pagerduty", "incidents", "28 May 2024, 06:00 UTC (4.3 d before this page)", "56"],
    ]
    assert page.evaluate("document.querySelector('[data-source=\"pagerduty.incidents\"] .stale') !== null")


@pytest.mark.parametrize("published", ["missing", "empty"])
def test_a_new_install_renders_no_data_yet(browser, tmp_path, published):
    db = tmp_path / "marts.duckdb"
    if published == "empty":
        write_empty_db(db)
    out = render_dashboard(db, tmp_path / "no-definitions-yet", tmp_path / "dashboard.html", now=NOW)
    page = browser.open(out.as_uri())
    text = page.evaluate("document.body.innerText")
    assert page.errors == []
    assert page.evaluate("document.querySelectorAll('#tiles .tile-value.empty').length") == 5
    assert page.evaluate("document.querySelectorAll('#charts .no-data').length") == 5
    assert "No teams yet" in text and "No services yet" in text
    assert "Source freshness: unknown" in text
    for broken in ("NaN", "undefined", "null", "None", "Infinity"):
        assert broken not in text
    page.screenshot(ARTIFACTS / f"dashboard-{published}.png")


def test_command_line_writes_one_self_contained_page(tmp_path):
    db = write_published_db(tmp_path / "marts.duckdb")
    out = tmp_path / "site" / "dora.html"
    result = subprocess.run(
        [sys.executable, "-m", "dora.dashboard", str(db), str(write_definitions(tmp_path / "defs")), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(out)
    html = out.read_text()
    # Nothing fetched from elsewhere: no external scripts, styles or images.
    assert "<script src" not in html and "<link" not in html and "<img" not in html
    assert [p.name for p in out.parent.iterdir()] == ["dora.html"]  # the temporary file was renamed away


def test_text_from_the_seeds_cannot_end_the_embedded_data_early():
    html = dashboard_page({"service": "</script><script>alert(1)</script>"})
    # Only the two real closing tags remain: the JSON block's and the script's.
    assert html.count("</script>") == 2


def test_definition_files_are_read_as_dora_define_reads_them(tmp_path):
    # One reader (dora.core.definitions): a file saved by Excel with a byte-order mark, and an incident file
    # of an earlier version (no urgency column), read the same as for `dora define`.
    folder = write_definitions(tmp_path / "definitions")
    path = folder / "deployment_definitions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    (folder / "incident_definitions.csv").write_text("definition_id,method,service\nall-pagerduty,pagerduty,\n")
    shown = collect(tmp_path / "not-published-yet.duckdb", folder, NOW)["definitions"]
    assert shown["deployment"][0] == {
        "definition_id": "merged-to-main", "method": "merged_pr",
        "filters": [{"filter": "branch", "value": "main", "default": False}],
    }
    assert shown["incident"] == [{"definition_id": "all-pagerduty", "method": "pagerduty", "filters": []}]
