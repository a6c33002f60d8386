"""Everything the dashboard shows, read from the published marts into one JSON-ready dict.

Every number is dbt's: the tiles, their previous-window values, their numerators and denominators
and the lead-time stages are rows and columns of marts.dora_summary (current window: window_offset
0, the one before: 1), the trends are marts.dora_weekly, the level bands marts.dora_levels, the
failed and rework deployments of the window (with their reasons) marts.deployments and
marts.incidents. This module only selects and reshapes them, and the page only formats and draws.
Missing tables read as empty, so a new install renders "no data yet" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

from dora.core.published import PublishedMarts, PublishedReader, published_marts
from dora.dashboard.definitions import read_definitions

WINDOW_DAYS = 30
TREND_WEEKS = 26
EXPLAINED_DEPLOYMENTS = 200  # the most recent failed or rework deployments listed with their reasons
SUMMARY_VALUE_COLUMNS = {
    "deployment_frequency": "deployments_per_week",
    "lead_time": "lead_time_median_hours",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore": "time_to_restore_median_hours",
    "rework_rate": "rework_rate",
}
# What each tile's value is computed from (dora_summary's counts): shown next to it.
SUMMARY_BASIS_COLUMNS = {
    "deployment_frequency": ("deployments",),
    "lead_time": ("changes",),
    "change_failure_rate": ("failed_deployments", "deployments"),
    "time_to_restore": ("resolved_incidents", "incidents"),
    "rework_rate": ("rework_deployments", "deployments"),
}
# dora_levels.metric of each tile (rework rate has no levels in any report)
LEVEL_METRICS = {
    "deployments_per_week": "deployment_frequency",
    "lead_time_hours": "lead_time",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore_hours": "time_to_restore",
    "rework_rate": "rework_rate",
}
LEAD_TIME_PART_COLUMNS = {
    "changes": "changes",
    "lead_time": "lead_time_median_hours",
    "coding": "coding_median_hours",
    "review": "review_median_hours",
    "deploy_wait": "deploy_wait_median_hours",
}
WEEKLY_COLUMNS = (
    "deployments",
    "deployment_days",
    "changes",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "failed_deployments",
    "change_failure_rate",
    "rework_deployments",
    "rework_rate",
    "incidents",
    "time_to_restore_median_hours",
)
ORG = ("org", "")


def collect(published: PublishedMarts | Path, definitions_dir: Path, now: dt.datetime) -> dict:
    """Read the marts and seeds into the page's data: scopes, per-scope metrics, definitions.
    Before the first publish there is no table, which reads as "no data yet"."""
    with published_marts(published).connect() as reader:
        return _Reader(reader).collect(definitions_dir, now)


class _Reader:
    """Queries over one open read-only connection; a missing table reads as no rows."""

    def __init__(self, reader: PublishedReader) -> None:
        self.reader = reader
        self.tables = reader.tables()

    def rows(self, table: str, sql: str, params: tuple = ()) -> list[dict]:
        if table not in self.tables:
            return []
        names, rows = self.reader.records(sql, params)
        return [{n: _json_value(v) for n, v in zip(names, row)} for row in rows]

    def collect(self, definitions_dir: Path, now: dt.datetime) -> dict:
        summary = self.rows(
            "marts.dora_summary",
            "select * from marts.dora_summary where window_days = ?",
            (WINDOW_DAYS,),
        )
        current = {_scope_key(r): r for r in summary if r["window_offset"] == 0}
        previous = {_scope_key(r): r for r in summary if r["window_offset"] == 1}
        org = current.get(ORG, {})
        definitions = read_definitions(definitions_dir)
        definitions["matched_in_window"] = self.matched_in_window()
        teams_of_service = self.teams_of_service(definitions["services"])
        weekly = self.weekly()

        scope_keys = {ORG} | set(current) | set(weekly)
        scope_keys |= {("team", t) for t in teams_of_service.values()}
        scope_keys |= {("service", s) for s in teams_of_service}
        scopes = {}
        for key in sorted(scope_keys, key=_scope_order):
            scope, name = key
            row = current.get(key, {})
            scopes[f"{scope}:{name}"] = {
                "scope": scope,
                "name": name,
                "team": teams_of_service.get(name) if scope == "service" else None,
                "tiles": {
                    metric: {
                        "value": row.get(column),
                        "level": row.get(f"{metric}_level"),
                        "previous": previous.get(key, {}).get(column),
                        "basis": [row.get(count) for count in SUMMARY_BASIS_COLUMNS[metric]],
                    }
                    for metric, column in SUMMARY_VALUE_COLUMNS.items()
                },
                "overall_level": row.get("overall_level"),
                "lead_time_parts": (
                    {part: row[column] for part, column in LEAD_TIME_PART_COLUMNS.items()}
                    if row.get("changes")
                    else None
                ),
                "weekly": weekly.get(key, []),
            }
        return {
            "generated_at": now.isoformat(timespec="seconds"),
            "window_days": WINDOW_DAYS,
            "window_start": org.get("window_start"),
            "window_end": org.get("window_end"),
            "scopes": scopes,
            "benchmarks": {"report_year": org.get("benchmark_year"), "levels": self.levels()},
            "explained_deployments": self.explained_deployments(),
            "explained_limit": EXPLAINED_DEPLOYMENTS,
            "definitions": definitions,
            "freshness": self.freshness(),
        }

    def teams_of_service(self, services_seed: list[dict]) -> dict[str, str]:
        """Which team owns each service: what the marts recorded; a service no record names yet
        (a quiet service) takes its team from the services seed."""
        teams = {}
        for r in services_seed:
            if r.get("service") and r.get("team"):
                teams.setdefault(r["service"], r["team"])
        for table in ("marts.deployments", "marts.incidents"):
            for r in self.rows(
                table,
                f"select distinct service, team from {table} where service is not null and team is not null",
            ):
                teams[r["service"]] = r["team"]
        return teams

    def weekly(self) -> dict[tuple[str, str], list[dict]]:
        """The last TREND_WEEKS weeks of dora_weekly per scope, oldest first."""
        rows = self.rows(
            "marts.dora_weekly",
            f"""
            select scope, scope_name, week_start, {", ".join(WEEKLY_COLUMNS)} from marts.dora_weekly
            where week_start > (select max(week_start) from marts.dora_weekly) - interval '{TREND_WEEKS * 7} days'
            order by week_start
            """,
        )
        by_scope: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            key = _scope_key(r)
            by_scope.setdefault(key, []).append(
                {"week_start": r["week_start"], **{c: r[c] for c in WEEKLY_COLUMNS}}
            )
        return by_scope

    def matched_in_window(self) -> dict[str, dict[str, int]]:
        """How many deployments, incidents and rework deployments each definition matched (as the
        alphabetically first one) in dora_summary's current window."""
        matched: dict[str, dict[str, int]] = {"deployment": {}, "incident": {}, "rework": {}}
        if "marts.dora_summary" not in self.tables:
            return matched
        for kind, table, definition, column in (
            ("deployment", "marts.deployments", "definition_id", "deployed_at"),
            ("incident", "marts.incidents", "definition_id", "created_at"),
            ("rework", "marts.deployments", "rework_definition_id", "deployed_at"),
        ):
            for r in self.rows(
                table,
                f"""
                select facts.{definition} as definition_id, count(*) as n
                from {table} as facts
                {_IN_ORG_WINDOW.format(column=column)}
                group by facts.{definition}
                """,
                (WINDOW_DAYS,),
            ):
                matched[kind][r["definition_id"]] = r["n"]
        return matched

    def levels(self) -> dict[str, list[dict]]:
        """The levels in force per dashboard metric (marts.dora_levels), best first; none for a
        report year without levels."""
        by_metric: dict[str, list[dict]] = {}
        for r in self.rows(
            "marts.dora_levels",
            "select metric, level, better, published_bound, is_reachable, lower_bound, upper_bound "
            "from marts.dora_levels order by metric, level_rank",
        ):
            metric = LEVEL_METRICS.get(r.pop("metric"))
            if metric is not None:
                by_metric.setdefault(metric, []).append(r)
        return by_metric

    def explained_deployments(self) -> list[dict]:
        """The failed and rework deployments of the current window, newest first (at most
        EXPLAINED_DEPLOYMENTS), with their reasons and the incidents attributed to them."""
        deployments = self.rows(
            "marts.deployments",
            f"""
            select facts.deployment_id, facts.service, facts.team, facts.repository, facts.deployed_at, facts.url,
                   facts.is_failed, facts.failure_reason, facts.is_rework, facts.rework_reason
            from marts.deployments as facts
            {_IN_ORG_WINDOW.format(column="deployed_at")}
            where facts.is_failed or facts.is_rework
            order by facts.deployed_at desc, facts.deployment_id
            limit {EXPLAINED_DEPLOYMENTS}
            """,
            (WINDOW_DAYS,),
        )
        incidents: dict[str, list[dict]] = {}
        for r in self.rows(
            "marts.incidents",
            "select deployment_id, incident_id, title, url from marts.incidents where deployment_id is not null "
            "order by created_at, incident_id",
        ):
            incidents.setdefault(r.pop("deployment_id"), []).append(r)
        return [d | {"incidents": incidents.get(d["deployment_id"], [])} for d in deployments]

    def freshness(self) -> list[dict] | None:
        """When each source last loaded, or None when the publish step recorded nothing."""
        rows = self.rows(
            "meta.source_freshness",
            "select source, resource, last_loaded_at, row_count from meta.source_freshness "
            "order by source, resource",
        )
        return rows or None


# Joins a mart (as `facts`) to the org row of dora_summary's current window; one parameter: window_days.
_IN_ORG_WINDOW = """
    inner join marts.dora_summary as org_window
        on org_window.scope = 'org' and org_window.window_days = ? and org_window.window_offset = 0
        and facts.{column} >= org_window.window_start and facts.{column} < org_window.window_end"""


def _scope_key(row: dict) -> tuple[str, str]:
    return ("org", "") if row["scope"] == "org" else (row["scope"], row["scope_name"])


def _scope_order(key: tuple[str, str]) -> tuple[int, str]:
    return ({"org": 0, "team": 1, "service": 2}.get(key[0], 3), key[1] or "")


def _json_value(value):
    """A warehouse's value as JSON: dates as ISO text, decimals as floats, NaN as null."""
    if isinstance(value, dt.datetime):
        # The marts keep UTC; a naive timestamp (dora_summary.window_end) is UTC too.
        utc = value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return utc.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
