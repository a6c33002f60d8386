"""Everything the dashboard shows, read from the published marts into one JSON-ready dict.

The page itself only formats and draws: every number is decided here, from the marts, so the
browser never computes a metric. Missing tables read as empty, so a new install renders "no data
yet" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import duckdb

from dora.dashboard.definitions import DEFAULT_BENCHMARK_YEAR, read_benchmarks, read_definitions

WINDOW_DAYS = 30
TREND_WEEKS = 26
METRICS = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
SUMMARY_VALUE_COLUMNS = {
    "deployment_frequency": "deployments_per_week",
    "lead_time": "lead_time_median_hours",
    "change_failure_rate": "change_failure_rate",
    "time_to_restore": "time_to_restore_median_hours",
}
WEEKLY_COLUMNS = (
    "deployments",
    "deployment_days",
    "changes",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "failed_deployments",
    "change_failure_rate",
    "incidents",
    "time_to_restore_median_hours",
)
ORG = ("org", "")

# One row per scope from rows carrying (team, service, ...): org, each team, each service.
_BY_SCOPE = """
select case when grouping(team) = 0 then 'team' when grouping(service) = 0 then 'service' else 'org' end,
       case when grouping(team) = 0 then team when grouping(service) = 0 then service else '' end,
       {aggregates}
from ({rows})
group by grouping sets ((), (team), (service))
"""
_DEPLOYMENTS = "select service, team, is_failed from marts.deployments where deployed_at >= ? and deployed_at < ?"
# A change belongs to the team of the deployment that shipped it (changes carry no team).
_CHANGES = """
select c.service, d.team, c.lead_time_hours, c.coding_hours, c.review_hours, c.deploy_wait_hours
from marts.changes c left join marts.deployments d on d.deployment_id = c.deployment_id
where c.deployed_at >= ? and c.deployed_at < ? and c.lead_time_hours is not null
"""
_RESOLVED_INCIDENTS = """
select service, team, time_to_restore_hours from marts.incidents
where created_at >= ? and created_at < ? and resolved_at is not null
"""


def collect(published_db: Path, definitions_dir: Path, now: dt.datetime) -> dict:
    """Read the marts and seeds into the page's data: scopes, per-scope metrics, definitions."""
    con = duckdb.connect()
    try:
        # Attached under its own name: a file called marts.duckdb would otherwise be a catalog "marts"
        # that makes every "marts.<table>" ambiguous. Before the first publish there is no file, and the
        # empty in-memory catalog reads as "no data yet".
        if published_db.exists():
            con.execute(f"attach '{_sql_text(published_db)}' as published (read_only)")
            con.execute("use published")
        con.execute("set TimeZone = 'UTC'")
        return _Reader(con).collect(definitions_dir, now)
    finally:
        con.close()


class _Reader:
    """Queries over one open read-only connection; a missing table reads as no rows."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        }

    def rows(self, table: str, sql: str, params: tuple = ()) -> list[dict]:
        if table not in self.tables:
            return []
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [{n: _json_value(v) for n, v in zip(names, row)} for row in cursor.fetchall()]

    def has(self, *tables: str) -> bool:
        return all(t in self.tables for t in tables)

    def collect(self, definitions_dir: Path, now: dt.datetime) -> dict:
        summary = self.rows(
            "marts.dora_summary",
            "select * from marts.dora_summary where window_days = ?",
            (WINDOW_DAYS,),
        )
        summary_by_scope = {_scope_key(r): r for r in summary}
        window_end = summary_by_scope.get(ORG, {}).get("window_end")
        definitions = read_definitions(definitions_dir)
        teams_of_service = self.teams_of_service(definitions["services"])
        weekly = self.weekly()

        scope_keys = {ORG} | set(summary_by_scope) | set(weekly)
        scope_keys |= {("team", t) for t in teams_of_service.values()}
        scope_keys |= {("service", s) for s in teams_of_service}
        current, previous = {}, {}
        if window_end is not None:
            end = _as_datetime(window_end)
            current = self.window_values(end - dt.timedelta(days=WINDOW_DAYS), end)
            if self.history_reaches(end - dt.timedelta(days=WINDOW_DAYS)):
                previous = self.window_values(
                    end - dt.timedelta(days=2 * WINDOW_DAYS), end - dt.timedelta(days=WINDOW_DAYS)
                )
            definitions["matched_in_window"] = self.matched_in_window(
                end - dt.timedelta(days=WINDOW_DAYS), end
            )

        scopes = {}
        for key in sorted(scope_keys, key=_scope_order):
            scope, name = key
            row = summary_by_scope.get(key, {})
            scopes[f"{scope}:{name}"] = {
                "scope": scope,
                "name": name,
                "team": teams_of_service.get(name) if scope == "service" else None,
                "tiles": {
                    metric: {
                        "value": row.get(SUMMARY_VALUE_COLUMNS[metric]),
                        "level": row.get(f"{metric}_level"),
                        "previous": _previous(previous, key, metric),
                    }
                    for metric in METRICS
                },
                "overall_level": row.get("overall_level"),
                "lead_time_parts": current.get(key, {}).get("lead_time_parts"),
                "weekly": weekly.get(key, []),
            }
        return {
            "generated_at": now.isoformat(timespec="seconds"),
            "window_days": WINDOW_DAYS,
            "window_end": window_end,
            "scopes": scopes,
            "benchmarks": read_benchmarks(
                definitions_dir, summary_by_scope.get(ORG, {}).get("benchmark_year") or DEFAULT_BENCHMARK_YEAR
            ),
            "definitions": definitions,
            "freshness": self.freshness(),
        }

    def teams_of_service(self, services_seed: list[dict]) -> dict[str, str]:
        """Which team owns each service: what the marts recorded, overridden by the services seed."""
        teams = {}
        for table in ("marts.deployments", "marts.incidents"):
            for r in self.rows(
                table,
                f"select distinct service, team from {table} where service is not null and team is not null",
            ):
                teams[r["service"]] = r["team"]
        for r in services_seed:
            if r.get("service") and r.get("team"):
                teams[r["service"]] = r["team"]
        return teams

    def weekly(self) -> dict[tuple[str, str], list[dict]]:
        """The last TREND_WEEKS weeks of dora_weekly per scope, oldest first."""
        rows = self.rows(
            "marts.dora_weekly",
            f"""
            select scope, scope_name, week_start, {", ".join(WEEKLY_COLUMNS)} from marts.dora_weekly
            where week_start > (select max(week_start) from marts.dora_weekly) - interval {TREND_WEEKS} week
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

    def history_reaches(self, day: dt.datetime) -> bool:
        """Whether any deployment is older than `day`: only then is a quiet earlier window real."""
        found = self.rows(
            "marts.deployments", "select 1 from marts.deployments where deployed_at < ? limit 1", (day,)
        )
        return bool(found)

    def window_values(self, start: dt.datetime, end: dt.datetime) -> dict[tuple[str, str], dict]:
        """The four metrics per scope over [start, end), by the rules dora_summary uses."""
        values: dict[tuple[str, str], dict] = {}

        def merge(table: str, rows_sql: str, aggregates: str, unpack) -> None:
            sql = _BY_SCOPE.format(rows=rows_sql, aggregates=aggregates)
            if not self.has(table):
                return
            for scope, name, *aggregated in self.con.execute(sql, (start, end)).fetchall():
                if scope != "org" and name is None:
                    continue
                values.setdefault((scope, name), {}).update(unpack(*map(_json_value, aggregated)))

        merge(
            "marts.deployments",
            _DEPLOYMENTS,
            "count(*), count(*) filter (where is_failed)",
            lambda deployed, failed: {
                "deployment_frequency": deployed / (WINDOW_DAYS / 7),
                "change_failure_rate": failed / deployed if deployed else None,
            },
        )
        if self.has("marts.changes", "marts.deployments"):
            merge(
                "marts.changes",
                _CHANGES,
                "count(*), "
                + ", ".join(
                    f"quantile_cont({c}, 0.5)"
                    for c in ("lead_time_hours", "coding_hours", "review_hours", "deploy_wait_hours")
                ),
                lambda n, lead, coding, review, wait: {
                    "lead_time": lead,
                    "lead_time_parts": {
                        "changes": n,
                        "lead_time": lead,
                        "coding": coding,
                        "review": review,
                        "deploy_wait": wait,
                    }
                    if n
                    else None,
                },
            )
        merge(
            "marts.incidents",
            _RESOLVED_INCIDENTS,
            "quantile_cont(time_to_restore_hours, 0.5)",
            lambda ttr: {"time_to_restore": ttr},
        )
        return values

    def matched_in_window(self, start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
        """How many deployments and incidents each definition matched in the window."""
        matched: dict[str, dict[str, int]] = {"deployment": {}, "incident": {}}
        for kind, table, column in (
            ("deployment", "marts.deployments", "deployed_at"),
            ("incident", "marts.incidents", "created_at"),
        ):
            for r in self.rows(
                table,
                f"select definition_id, count(*) as n from {table} "
                f"where {column} >= ? and {column} < ? group by definition_id",
                (start, end),
            ):
                matched[kind][r["definition_id"]] = r["n"]
        return matched

    def freshness(self) -> list[dict] | None:
        """When each source last loaded, or None when the publish step recorded nothing."""
        rows = self.rows(
            "meta.source_freshness",
            "select source, resource, last_loaded_at, row_count from meta.source_freshness "
            "order by source, resource",
        )
        return rows or None


def _previous(previous: dict, key: tuple[str, str], metric: str) -> float | None:
    """A scope's previous-window value; a scope quiet in a window the history covers deployed 0/week."""
    if metric == "deployment_frequency" and previous:
        return previous.get(key, {}).get(metric, 0.0)
    return previous.get(key, {}).get(metric)


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _scope_key(row: dict) -> tuple[str, str]:
    return ("org", "") if row["scope"] == "org" else (row["scope"], row["scope_name"])


def _scope_order(key: tuple[str, str]) -> tuple[int, str]:
    return ({"org": 0, "team": 1, "service": 2}.get(key[0], 3), key[1] or "")


def _as_datetime(value: str) -> dt.datetime:
    """A window_end (date or timestamp, as JSON text) as an aware UTC datetime."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _json_value(value):
    """A DuckDB value as JSON: dates as ISO text, decimals as floats, NaN as null."""
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
