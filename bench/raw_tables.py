"""A large synthetic organisation written straight into the raw tables (dora.core.raw_tables), in bulk
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

from dora.core.raw_tables import contract

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
    for table in TABLES:
        con.execute(contract()[table].create_sql())
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
    return {table: con.execute(f"select count(*) from {table}").fetchall()[0][0] for table in TABLES}


# The raw tables this benchmark fills, created as the contract (dora.core.raw_tables) says; rows are
# inserted by column name, so a column added to the contract is simply null here.
TABLES = ("raw_github.pull_requests", "raw_github.workflow_runs", "raw_github.deployments", "raw_pagerduty.incidents",
          "raw_pagerduty.services")

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
insert into raw_github.pull_requests by name
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
    100000000 + i as id, repository_id, repository, i // 100 + 1 as number,
    ['Add', 'Fix', 'Refactor', 'Speed up'][i % 4 + 1] || ' ' || ['cart totals', 'retry logic', 'login flow'][i % 3 + 1]
        as title,
    case when i % 100 = 42 then null else {PEOPLE}[i % 5 + 1] end as author,
    case when i % 10 < 7 then '["' || ['feature', 'bug', 'chore', 'docs'][i % 4 + 1] || '"]' else '[]' end as labels,
    'main' as base_ref, 'change-' || i as head_ref,
    case when merged_at is not null then 'merged' when closed_only_at is not null then 'closed' else 'open' end
        as state,
    created_at, coalesce(merged_at, closed_only_at, created_at) as updated_at,
    coalesce(merged_at, closed_only_at) as closed_at, merged_at,
    case when merged_at is not null then {_sha('i')} end as merge_commit_sha,
    case when i % 200 = 7 then null else created_at - to_seconds(cast(3600 * 6 * {_u('i', 'code')} as bigint)) end
        as first_commit_at,
    'https://github.example/' || repository || '/pull/' || (i // 100 + 1) as html_url,
    $load_id as _dlt_load_id, 'pr' || i as _dlt_id
from shaped
"""


def _deploy_run_created(i: str, span: int) -> str:
    """The deploy run after PR `i` merged (runs follow every 5th PR): a few minutes later."""
    return f"({_pr_merged(i, span)} + to_seconds(60 + {i} % 240))"


def _workflow_runs(first: int, n: int, span: int) -> str:
    return f"""
insert into raw_github.workflow_runs by name
with runs as (
    select i, bench_repos.*, {_deploy_run_created('i', span)} as run_created_at
    from range({first}, {first + 5 * n}, 5) as t(i)
    join bench_repos on bench_repos.repo_index = i % 100
)
select
    5000000000 + i as id, repository_id, repository, repository_id * 10 + 2 as workflow_id,
    'deploy' as workflow_name, 'main' as head_branch, {_sha('i')} as head_sha, 'push' as event,
    case when run_created_at + interval 10 minute <= $now then 'completed' else 'in_progress' end as status,
    case when run_created_at + interval 10 minute > $now then null
         when {_u('i', 'conclusion')} < 0.9 then 'success' else 'failure' end as conclusion,
    1 as run_attempt, run_created_at + interval 20 second as run_started_at, run_created_at as created_at,
    least(run_created_at + to_seconds(120 + i % 480), $now) as updated_at,
    {PEOPLE}[i % 5 + 1] as actor,
    'https://github.example/' || repository || '/actions/runs/' || i as html_url,
    $load_id as _dlt_load_id, 'run' || i as _dlt_id
from runs
"""


def _deployments(first: int, n: int, span: int) -> str:
    """A production GitHub deployment of every 10th PR's merge commit, 15-45 minutes after the merge:
    queued, in_progress, then success (95%) or failure after 5 minutes; like GitHub, every success
    is marked inactive a day later (a newer deployment succeeded), so its latest status is
    `inactive` and it counts at its `success`. As on GitHub, nothing is dated after `now`: a merge
    reviewed until after it is not deployed yet, and a status still to come is not there."""
    return f"""
insert into raw_github.deployments by name
with deployed as (
    select i, bench_repos.*, {_pr_merged('i', span)} + to_seconds(900 + i % 1800) as deployed_at,
           case when {_u('i', 'state')} < 0.95 then 'success' else 'failure' end as outcome
    from range({first}, {first + 10 * n}, 10) as t(i)
    join bench_repos on bench_repos.repo_index = i % 100
),
statused as (
    select deployed.*,
           list_filter([{{'state': 'queued', 'created_at': deployed_at, 'log_url': null::varchar}},
            {{'state': 'in_progress', 'created_at': deployed_at + interval 1 minute, 'log_url': null}},
            {{'state': outcome, 'created_at': deployed_at + interval 5 minute,
              'log_url': 'https://ci.example/deployments/' || i}}]
           || case when outcome = 'success'
                   then [{{'state': 'inactive', 'created_at': deployed_at + interval 1 day, 'log_url': null}}]
                   else [] end, lambda status: status.created_at <= $now) as statuses
    from deployed
    where deployed_at <= $now
)
select
    300000000 + i as id, repository_id, repository, {_sha('i')} as sha, 'main' as ref, 'deploy' as task,
    'production' as environment, deployed_at as created_at,
    statuses[-1].created_at as updated_at, {PEOPLE}[i % 5 + 1] as creator,
    statuses[-1].state as latest_status_state, statuses[-1].created_at as latest_status_at,
    statuses[-1].log_url as latest_status_log_url, to_json(statuses) as statuses,
    $load_id as _dlt_load_id, 'dep' || i as _dlt_id
from statused
"""


def _incidents(first: int, n: int, span: int, runs: int) -> str:
    """Incidents of 10 services; every third starts 10-120 minutes after a deploy run of a repository
    of its own service (run k follows PR 5k, whose repository is 5k % 100: k = 20m + 2t lands on
    repository 10t, the first of team t)."""
    run_pr = f"({first} + 5 * (20 * (hash(i, 'run') % greatest({runs} // 20, 1)) + 2 * (i % 10)))"
    return f"""
insert into raw_pagerduty.incidents by name
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
    'Q' || i as id, i + 1 as incident_number,
    {PRODUCTS}[team_index + 1] || ': ' || ['5xx spike', 'p99 latency over SLO', 'queue backlog'][i % 3 + 1] as title,
    case when resolved_at is null then 'triggered' else 'resolved' end as status,
    case when i % 10 < 7 then 'high' else 'low' end as urgency,
    ['P1', 'P2', 'P3', 'P4', null][i % 5 + 1] as priority,
    'PSVC' || team_index as service_id, {PRODUCTS}[team_index + 1] as service_name,
    '["' || {TEAMS}[team_index + 1] || '"]' as teams,
    created_at, resolved_at, coalesce(resolved_at, created_at) as updated_at,
    coalesce(resolved_at, created_at) as last_status_change_at,
    'https://pagerduty.example/incidents/Q' || i as html_url,
    $load_id as _dlt_load_id, 'inc' || i as _dlt_id
from timed
"""


_SERVICES_SQL = f"""
insert into raw_pagerduty.services by name
select 'PSVC' || t as id, {PRODUCTS}[t + 1] as name, 'The ' || {PRODUCTS}[t + 1] || ' product.' as description,
       'active' as status, '["' || {TEAMS}[t + 1] || '"]' as teams, $now - interval 1100 day as created_at,
       'https://pagerduty.example/services/PSVC' || t as html_url, $load_id as _dlt_load_id, 'svc' || t as _dlt_id
from range(10) as r(t)
"""


def services_csv() -> str:
    """services.csv mapping each product's repositories and PagerDuty service to one service and
    team, so incidents are attributed to deploys of their own service."""
    rows = [f"{product},{team},acme/{product}-*,{product}" for product, team in zip(PRODUCTS, TEAMS)]
    return "service,team,repository,pagerduty_service\n" + "\n".join(rows) + "\n"
