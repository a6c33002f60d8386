"""A large synthetic organisation written straight into the raw tables (docs/raw-tables.md), in bulk
with DuckDB SQL, so dbt reads it as if dlt had loaded it (with `_dlt_load_id`, `_dlt_id` and a
`_dlt_loads` row per load).

Scale 1.0 is the issue's full size: 100 repositories (10 teams of 10), 1,000,000 pull requests,
200,000 workflow runs, 100,000 GitHub deployments, 20,000 PagerDuty incidents over 3 years; every
count scales linearly, the number of repositories and the span do not (a larger scale is a denser
history). Values come from `hash(row number, salt)`, so a scale always gives the same tables.

Shape: 86% of PRs merge into main; every 5th PR's merge is followed by a `deploy` workflow run
on main (90% success) and every 10th by a production GitHub deployment of the same commit; a
third of incidents start 10-120 minutes after a deploy run of their service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

FULL = {"pull_requests": 1_000_000, "workflow_runs": 200_000, "deployments": 100_000, "incidents": 20_000}
TEAMS = ["Storefront", "Payments", "Discovery", "Catalog", "Identity", "Messaging", "Supply", "Logistics",
         "Community", "Finance"]
PRODUCTS = ["checkout", "payments", "search", "catalog", "accounts", "notifications", "inventory", "shipping",
            "reviews", "billing"]
KINDS = ["api", "web", "worker", "mobile", "infra", "lib", "jobs", "gateway", "admin", "sdk"]
SPAN_SECONDS = 3 * 365 * 86400
TZ = "timestamp with time zone"


@dataclass(frozen=True)
class Load:
    """One simulated dlt load: its id (epoch seconds, like dlt's) and which rows it carries.

    `first` and `count` index into the same infinite row sequence, so a 1% increment continues
    the full load's numbering (new ids, later times)."""

    load_id: str
    now: datetime
    first: int
    count: dict[str, int]


def full_load(scale: float, now: datetime) -> Load:
    return Load(f"{now.timestamp():.6f}", now, 0, {table: round(n * scale) for table, n in FULL.items()})


def increment(scale: float, base: Load, share: float = 0.01) -> Load:
    """`share` new rows of every table, created in the day after `base` (a later dlt load)."""
    later = base.now + timedelta(days=1)
    counts = {table: max(round(n * share), 1) for table, n in base.count.items()}
    return Load(f"{later.timestamp():.6f}", later, 1, counts)


def _u(expression: str, salt: str) -> str:
    """SQL for a deterministic uniform number in [0, 1) from `expression`."""
    return f"((hash({expression}, '{salt}') % 1000000) / 1000000.0)"


def _pr_created(i: str, span: int) -> str:
    """SQL for the creation time of PR number `i` (the same expression everywhere, so a deploy run
    or a deployment can compute the merge time of the PR it ships)."""
    return f"($now - to_seconds(cast({span} * {_u(i, 'created')} as bigint)))"


def _pr_merged(i: str, span: int) -> str:
    """SQL for when PR `i` finished review (merged or closed): hours to days after it opened."""
    return f"({_pr_created(i, span)} + to_seconds(cast(3600 * 20 * exp(2 * {_u(i, 'review')} - 1) as bigint)))"


def write(con: duckdb.DuckDBPyConnection, load: Load) -> dict[str, int]:
    """Create the raw tables if needed and insert the load's rows; returns the row count per table."""
    for schema in ("raw_github", "raw_pagerduty", "raw_custom"):
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"""create table if not exists {schema}._dlt_loads (
            load_id varchar not null, schema_name varchar, status bigint not null,
            inserted_at {TZ} not null, schema_version_hash varchar)""")
        con.execute(f"insert into {schema}._dlt_loads values (?, ?, 0, ?, 'bench')",
                    [load.load_id, schema.removeprefix("raw_"), load.now])
    for table, columns in COLUMNS.items():
        con.execute(f"create table if not exists {table} ({columns}, _dlt_load_id varchar not null, "
                    "_dlt_id varchar not null)")
    con.execute(_REPOS_SQL)
    # An increment's rows get a numbering range of their own, after every full-scale row, and
    # times within the day before its `now`.
    first = load.first * 10_000_000
    span = SPAN_SECONDS if load.first == 0 else 86400
    params = {"load_id": load.load_id, "now": load.now}
    con.execute(_pull_requests(first, load.count["pull_requests"], span), params)
    con.execute(_workflow_runs(first, load.count["workflow_runs"], span), params)
    con.execute(_deployments(first, load.count["deployments"], span), params)
    con.execute(_incidents(first, load.count["incidents"], span, load.count["workflow_runs"]), params)
    if load.first == 0:
        con.execute(_SERVICES_SQL, params)
    return {table: con.execute(f"select count(*) from {table}").fetchall()[0][0] for table in COLUMNS}


COLUMNS = {
    "raw_github.pull_requests": "id bigint, repository_id bigint, repository varchar, number bigint, title varchar, "
    f"author varchar, labels json, base_ref varchar, head_ref varchar, state varchar, created_at {TZ}, "
    f"updated_at {TZ}, closed_at {TZ}, merged_at {TZ}, merge_commit_sha varchar, first_commit_at {TZ}, "
    "html_url varchar",
    "raw_github.workflow_runs": "id bigint, repository_id bigint, repository varchar, workflow_id bigint, "
    "workflow_name varchar, head_branch varchar, head_sha varchar, event varchar, status varchar, "
    f"conclusion varchar, run_attempt bigint, run_started_at {TZ}, created_at {TZ}, updated_at {TZ}, "
    "actor varchar, html_url varchar",
    "raw_github.deployments": "id bigint, repository_id bigint, repository varchar, sha varchar, ref varchar, "
    f"task varchar, environment varchar, created_at {TZ}, updated_at {TZ}, creator varchar, "
    f"latest_status_state varchar, latest_status_at {TZ}, latest_status_log_url varchar, statuses json",
    "raw_pagerduty.incidents": "id varchar, incident_number bigint, title varchar, status varchar, "
    "urgency varchar, priority varchar, service_id varchar, service_name varchar, teams json, "
    f"created_at {TZ}, resolved_at {TZ}, updated_at {TZ}, last_status_change_at {TZ}, html_url varchar",
    "raw_pagerduty.services": "id varchar, name varchar, description varchar, status varchar, teams json, "
    f"created_at {TZ}, html_url varchar",
}

PEOPLE = "['alice', 'bob', 'carol', 'dan', 'erin']"

_REPOS_SQL = f"""
create or replace temp table bench_repos as
select
    r as repo_index,
    700000 + r as repository_id,
    'acme/' || {PRODUCTS}[r // 10 + 1] || '-' || {KINDS}[r % 10 + 1] as repository
from range(100) as t(r)
"""


def _sha(i: str) -> str:
    return f"(md5({i}::varchar) || substr(md5({i}::varchar || 'x'), 1, 8))"


def _pull_requests(first: int, n: int, span: int) -> str:
    return f"""
insert into raw_github.pull_requests
with prs as (
    select i, {_pr_created('i', span)} as created_at, {_pr_merged('i', span)} as finished_at,
           {_u('i', 'outcome')} as outcome
    from range({first}, {first + n}) as t(i)
),
shaped as (
    select prs.*, bench_repos.*,
        case when outcome < 0.86 and finished_at < $now then finished_at end as merged_at,
        case when outcome >= 0.86 and outcome < 0.97 then least(finished_at, $now) end as closed_only_at
    from prs join bench_repos on bench_repos.repo_index = prs.i % 100
)
select
    100000000 + i, repository_id, repository, i // 100 + 1,
    ['Add', 'Fix', 'Refactor', 'Speed up'][i % 4 + 1] || ' ' || ['cart totals', 'retry logic', 'login flow'][i % 3 + 1],
    case when i % 100 = 42 then null else {PEOPLE}[i % 5 + 1] end,
    case when i % 10 < 7 then '["' || ['feature', 'bug', 'chore', 'docs'][i % 4 + 1] || '"]' else '[]' end,
    'main', 'change-' || i,
    case when merged_at is not null then 'merged' when closed_only_at is not null then 'closed' else 'open' end,
    created_at, coalesce(merged_at, closed_only_at, created_at), coalesce(merged_at, closed_only_at), merged_at,
    case when merged_at is not null then {_sha('i')} end,
    case when i % 200 = 7 then null else created_at - to_seconds(cast(3600 * 6 * {_u('i', 'code')} as bigint)) end,
    'https://github.example/' || repository || '/pull/' || (i // 100 + 1),
    $load_id, 'pr' || i
from shaped
"""


def _deploy_run_created(i: str, span: int) -> str:
    """The deploy run after PR `i` merged (runs follow every 5th PR): a few minutes later."""
    return f"({_pr_merged(i, span)} + to_seconds(60 + {i} % 240))"


def _workflow_runs(first: int, n: int, span: int) -> str:
    return f"""
insert into raw_github.workflow_runs
with runs as (
    select i, bench_repos.*, {_deploy_run_created('i', span)} as run_created_at
    from range({first}, {first + 5 * n}, 5) as t(i)
    join bench_repos on bench_repos.repo_index = i % 100
)
select
    5000000000 + i, repository_id, repository, repository_id * 10 + 2, 'deploy', 'main', {_sha('i')}, 'push',
    case when run_created_at + interval 10 minute <= $now then 'completed' else 'in_progress' end,
    case when run_created_at + interval 10 minute > $now then null
         when {_u('i', 'conclusion')} < 0.9 then 'success' else 'failure' end,
    1, run_created_at + interval 20 second, run_created_at,
    least(run_created_at + to_seconds(120 + i % 480), $now),
    {PEOPLE}[i % 5 + 1],
    'https://github.example/' || repository || '/actions/runs/' || i,
    $load_id, 'run' || i
from runs
"""


def _deployments(first: int, n: int, span: int) -> str:
    """A production GitHub deployment of every 10th PR's merge commit, 15-45 minutes after the merge:
    queued, in_progress, then success (95%) or failure after 5 minutes; like GitHub, every success
    is marked inactive a day later (a newer deployment succeeded), so its latest status is
    `inactive` and it counts at its `success`."""
    return f"""
insert into raw_github.deployments
with deployed as (
    select i, bench_repos.*, {_pr_merged('i', span)} + to_seconds(900 + i % 1800) as deployed_at,
           case when {_u('i', 'state')} < 0.95 then 'success' else 'failure' end as outcome
    from range({first}, {first + 10 * n}, 10) as t(i)
    join bench_repos on bench_repos.repo_index = i % 100
),
statused as (
    select deployed.*,
           [{{'state': 'queued', 'created_at': deployed_at, 'log_url': null::varchar}},
            {{'state': 'in_progress', 'created_at': deployed_at + interval 1 minute, 'log_url': null}},
            {{'state': outcome, 'created_at': deployed_at + interval 5 minute,
              'log_url': 'https://ci.example/deployments/' || i}}]
           || case when outcome = 'success'
                   then [{{'state': 'inactive', 'created_at': deployed_at + interval 1 day, 'log_url': null}}]
                   else [] end as statuses
    from deployed
)
select
    300000000 + i, repository_id, repository, {_sha('i')}, 'main', 'deploy', 'production', deployed_at,
    statuses[-1].created_at, {PEOPLE}[i % 5 + 1],
    statuses[-1].state, statuses[-1].created_at, statuses[-1].log_url, to_json(statuses),
    $load_id, 'dep' || i
from statused
"""


def _incidents(first: int, n: int, span: int, runs: int) -> str:
    """Incidents of 10 services; every third starts 10-120 minutes after a deploy run of a repository
    of its own service (run k follows PR 5k, whose repository is 5k % 100: k = 20m + 2t lands on
    repository 10t, the first of team t)."""
    run_pr = f"({first} + 5 * (20 * (hash(i, 'run') % greatest({runs} // 20, 1)) + 2 * (i % 10)))"
    return f"""
insert into raw_pagerduty.incidents
with numbered as (
    select
        i,
        i % 10 as team_index,
        case when i % 3 = 0 then {_deploy_run_created(run_pr, span)} + to_seconds(600 + hash(i) % 6600)
             else $now - to_seconds(cast({span} * {_u('i', 'created')} as bigint)) end as created_at,
        to_seconds(cast(3600 * 1.5 * exp(2 * {_u('i', 'restore')} - 1) as bigint)) as restore
    from range({first}, {first + n}) as t(i)
),
timed as (
    select *, case when created_at + restore <= $now - interval 1 hour then created_at + restore end as resolved_at
    from numbered
    where created_at < $now
)
select
    'Q' || i, i + 1,
    {PRODUCTS}[team_index + 1] || ': ' || ['5xx spike', 'p99 latency over SLO', 'queue backlog'][i % 3 + 1],
    case when resolved_at is null then 'triggered' else 'resolved' end,
    case when i % 10 < 7 then 'high' else 'low' end,
    ['P1', 'P2', 'P3', 'P4', null][i % 5 + 1],
    'PSVC' || team_index, {PRODUCTS}[team_index + 1], '["' || {TEAMS}[team_index + 1] || '"]',
    created_at, resolved_at, coalesce(resolved_at, created_at), coalesce(resolved_at, created_at),
    'https://pagerduty.example/incidents/Q' || i,
    $load_id, 'inc' || i
from timed
"""


_SERVICES_SQL = f"""
insert into raw_pagerduty.services
select 'PSVC' || t, {PRODUCTS}[t + 1], 'The ' || {PRODUCTS}[t + 1] || ' product.', 'active',
       '["' || {TEAMS}[t + 1] || '"]', $now - interval 1100 day, 'https://pagerduty.example/services/PSVC' || t,
       $load_id, 'svc' || t
from range(10) as r(t)
"""


def services_csv() -> str:
    """services.csv mapping each product's repositories and PagerDuty service to one service and
    team, so incidents are attributed to deploys of their own service."""
    rows = [f"{product},{team},acme/{product}-*,{product}" for product, team in zip(PRODUCTS, TEAMS)]
    return "service,team,repository,pagerduty_service\n" + "\n".join(rows) + "\n"
