"""Odd but real data, and secrets: what the baseline run (reliability_fixtures.reliability_scenario,
with its hand-added odd records) stored for each odd record, and that no token string appears in
anything a run writes or prints.

HTTP API and definition-glob injection are covered where those features are tested:
test_custom_api.py and test_definitions.py (see docs/reliability.md).
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest
from reliability_fixtures import ODD_LABELS, Install, ago

from dlt_sources.rows import login, parse_time

pytest_plugins = ["reliability_fixtures"]  # its session fixtures: one baseline run for all three modules


def published(install: Install, sql: str) -> list[tuple]:
    with duckdb.connect(str(install.baseline_home.published), read_only=True) as con:
        return con.execute(sql).fetchall()


def naive(value: datetime) -> datetime:
    """The marts store naive UTC timestamps."""
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def test_a_merged_pr_of_a_deleted_user_without_merge_commit_keeps_its_labels_verbatim(install: Install):
    # PR 990001: author None (GitHub's "ghost"), merge_commit_sha None, four labels with a comma,
    # double quotes, non-ASCII and SQL text; merged 2 days ago, opened 3 days ago.
    assert published(install, "select author, merge_commit_sha, labels, opened_at, merged_at "
                               "from history.pull_request_history where pull_request_id = 990001") == [
        (None, None, ODD_LABELS, naive(ago(days=3)), naive(ago(days=2)))
    ]
    # No merge commit: no deployment deployed its commit, but a deployment ships every PR merged
    # into its branch before it (README, lead time), so the next deployment of main ships it.
    # First commit 4 days ago, opened 3 days ago, merged 2 days ago: coding 24 h, review 24 h;
    # lead time = deployed - first commit, deploy wait = deployed - merged.
    [(author, repository, deployment_id, deployed_at, lead, coding, review, wait)] = published(
        install, "select author, repository, deployment_id, deployed_at, lead_time_hours, coding_hours, "
                 "review_hours, deploy_wait_hours from marts.changes where pr_number = 9001")
    merged, first_commit = naive(ago(days=2)), naive(ago(days=4))
    assert (author, coding, review) == (None, 24.0, 24.0)
    assert deployment_id is not None and deployed_at >= merged
    assert published(install, f"select count(*) from marts.deployments where repository = '{repository}' "
                               f"and deployed_at >= '{merged}' and deployed_at < '{deployed_at}'") == [(0,)]
    assert lead == pytest.approx((deployed_at - first_commit).total_seconds() / 3600)
    assert wait == pytest.approx((deployed_at - merged).total_seconds() / 3600)


def test_an_incident_resolved_before_it_was_created_has_no_time_to_restore(install: Install):
    # PODD001: created 5 h ago, "resolved" 6 h ago: the incident counts, its restore time is
    # unknown (null) instead of -1 h, so it cannot pull the median down.
    assert published(install, "select created_at, resolved_at, time_to_restore_hours from marts.incidents "
                               "where url like '%PODD001%'") == [(naive(ago(hours=5)), naive(ago(hours=6)), None)]
    assert published(install, "select count(*) from marts.incidents where time_to_restore_hours < 0") == [(0,)]


def test_an_incident_resolved_before_it_was_created_is_flagged_in_quarantine(install: Install):
    # The record stays in marts.incidents (above) and is listed, with its reason, in marts.quarantine,
    # whose data test warns while it has rows.
    assert published(install, "select record_type, reason from marts.quarantine where record_id in "
                               "(select incident_id from marts.incidents where url like '%PODD001%')") == [
        ("incident", "resolved_at is before created_at")
    ]
    warnings = [line for line in install.baseline_home.run_log.read_text().splitlines()
                if "has_no_rows_quarantine" in line and "WARN" in line]
    assert warnings, "the quarantine data test should warn"


def test_timestamps_with_offsets_are_read_as_the_same_instant_in_utc():
    assert parse_time("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    assert parse_time("2026-03-01T05:30:00-05:00") == datetime(2026, 3, 1, 10, 30, tzinfo=timezone.utc)
    assert parse_time("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def test_githubs_ghost_user_reads_as_no_author():
    assert (login({"login": "ghost"}), login(None), login({"login": "alice"})) == (None, None, "alice")


def test_no_token_reaches_any_file_of_the_data_directory_or_the_output(install: Install):
    tokens = [install.scenario.github_token.encode(), install.scenario.pagerduty_token.encode()]
    files = [path for path in install.baseline_home.root.rglob("*") if path.is_file()]
    assert len(files) > 10  # warehouse, published file, dlt state and packages, Dagster storage, dbt logs
    leaks = [(str(path), token) for path in files for token in tokens if token in path.read_bytes()]
    assert leaks == []
    assert "Running:" in install.output  # the captured output is the run's
    assert [token for token in tokens if token.decode() in install.output] == []
