-- The lower bound for transformation: the five marts computed by one hand-written script straight
-- from the raw tables, for the benchmark's definitions (bench/transformation.py: deploy workflow
-- runs on main pushed and successful, successful production GitHub deployments, every PagerDuty
-- incident, services.csv mapping `acme/<product>-*` and PagerDuty service <product> to service
-- <product>). No views, no durable history, no tests, no generic filters: what dbt's marts would
-- cost if nothing else had to be paid for.
-- One script for DuckDB and PostgreSQL, rendered by Jinja (bench/lower_bound.py): where the engines
-- differ (JSON of the deployment statuses, globs, ASOF joins, series, statistics) the macros below
-- choose each engine's fastest form (`duckdb` is true on DuckDB). `services` are services.csv's rows,
-- `window_end` the start of the summary windows' end day. On PostgreSQL the session has dbt's
-- settings (dora.core.postgres.DBT_SESSION_OPTIONS: no JIT compilation).
{% if not duckdb %}set jit = off;
{% endif -%}
{% macro glob(value, pattern) -%}
{#- the benchmark's patterns have `*` only, no `?`, `[` or LIKE's `_` and `%` -#}
{%- if duckdb %}{{ value }} glob {{ pattern }}{% else %}{{ value }} like replace({{ pattern }}, '*', '%'){% endif -%}
{%- endmacro %}
{% macro asof_join(table, equal, left_time, right_time, later) -%}
{#- the row of `table` matching `equal` whose right_time is the nearest at or after (later) or at or
    before left_time; on Postgres an index search per row (see `analyzed`) -#}
{%- if duckdb -%}
asof join {{ table }} on {{ equal }} and {{ left_time }} {{ '<=' if later else '>=' }} {{ table }}.{{ right_time }}
{%- else -%}
cross join lateral (
    select * from {{ table }}
    where {{ equal }} and {{ table }}.{{ right_time }} {{ '>=' if later else '<=' }} {{ left_time }}
    order by {{ table }}.{{ right_time }}{{ '' if later else ' desc' }} limit 1
) as {{ table }}
{%- endif -%}
{%- endmacro %}
{% macro analyzed(table, index) -%}
{#- Postgres: the index of an ASOF search, and statistics (autovacuum never analyzes temp tables) -#}
{%- if not duckdb %}
create index on {{ table }} ({{ index }});
analyze {{ table }};
{%- endif -%}
{%- endmacro %}
{% macro series(first, last) -%}
{%- if duckdb %}unnest(generate_series({{ first }}, {{ last }}, interval '7 days'))
{%- else %}generate_series({{ first }}, {{ last }}, interval '7 days'){% endif -%}
{%- endmacro %}
create schema if not exists lower_bound;

create temp table services as
select * from (values
{%- for row in services %}
    ({{ loop.index }}, '{{ row.service }}', '{{ row.team }}', '{{ row.repository }}', '{{ row.pagerduty_service }}')
    {{- "," if not loop.last }}
{%- endfor %}
) as t(line, service, team, repository, pagerduty_service);

create temp table deployments_mapped as
with candidates as (
    select 'workflow_run:' || id as deployment_id, 'workflow_run' as method, repository, head_branch as branch,
           cast(null as varchar) as environment, head_sha as commit_sha,
           cast(timezone('UTC', updated_at) as timestamp) as deployed_at, html_url as url
    from raw_github.workflow_runs
    where status = 'completed' and workflow_name = 'deploy' and head_branch = 'main' and event = 'push'
      and conclusion = 'success'
    union all
    select 'github_deployment:' || id, 'github_deployment', repository, ref, environment, sha,
           cast(timezone('UTC', first_success.created_at) as timestamp), first_success.log_url
    -- a deployment counts at its first success, whatever followed (GitHub marks it inactive later)
{%- if duckdb %}
    from (
        select *, list_min(list_filter(
                      from_json(statuses, '[{"created_at": "timestamptz", "state": "varchar", "log_url": "varchar"}]'),
                      lambda s: s.state = 'success')) as first_success
        from raw_github.deployments
    ) as deployments
    where environment = 'production' and first_success is not null
{%- else %}
    from raw_github.deployments
    cross join lateral (
        select s.created_at, s.log_url
        from jsonb_to_recordset(deployments.statuses) as s(created_at timestamptz, state text, log_url text)
        where s.state = 'success' order by s.created_at, s.log_url limit 1
    ) as first_success
    where environment = 'production'
{%- endif %}
)
select candidates.*, coalesce(services.service, candidates.repository) as service, services.team
from candidates
left join services on {{ glob('candidates.repository', 'services.repository') }};
{{ analyzed('deployments_mapped', 'service, deployed_at') }}

create temp table merged_prs as
select id as pull_request_id, repository, number as pr_number, title, author, base_ref, html_url as url,
       merge_commit_sha,
       cast(timezone('UTC', first_commit_at) as timestamp) as first_commit_at,
       cast(timezone('UTC', created_at) as timestamp) as opened_at,
       cast(timezone('UTC', merged_at) as timestamp) as merged_at
from raw_github.pull_requests
where merged_at is not null;
{{ analyzed('merged_prs', 'pull_request_id') }}

create temp table frontier as
with deployed_merges as (
    select deployments_mapped.deployment_id, max(merged_prs.merged_at) as merged_at
    from deployments_mapped
    join merged_prs on deployments_mapped.repository = merged_prs.repository
        and deployments_mapped.commit_sha = merged_prs.merge_commit_sha
    group by deployments_mapped.deployment_id
),
cutoffs as (
    select deployments_mapped.*, coalesce(deployed_merges.merged_at, deployed_at) as cutoff,
           row_number() over (partition by repository order by deployed_at, deployment_id) = 1 as is_baseline
    from deployments_mapped left join deployed_merges using (deployment_id)
)
select * from (
    select *, max(cutoff) over (partition by repository order by deployed_at, deployment_id
                                rows between unbounded preceding and 1 preceding) as earlier_cutoff
    from cutoffs
) as running
where earlier_cutoff is null or cutoff > earlier_cutoff;
{{ analyzed('frontier', 'repository, cutoff') }}

create temp table shipped as
select merged_prs.pull_request_id, frontier.deployment_id
from merged_prs
{{ asof_join('frontier', 'merged_prs.repository = frontier.repository', 'merged_prs.merged_at', 'cutoff', later=true) }}
where not frontier.is_baseline;

create temp table incidents_mapped as
select 'pagerduty:' || id as incident_id, coalesce(services.service, incidents.service_name) as service,
       coalesce(services.team, incidents.teams ->> 0) as team,
       title, urgency, priority, html_url as url,
       cast(timezone('UTC', created_at) as timestamp) as created_at,
       cast(timezone('UTC', resolved_at) as timestamp) as resolved_at
from raw_pagerduty.incidents as incidents
left join services on {{ glob('incidents.service_name', 'services.pagerduty_service') }}
where created_at is not null;

create temp table attributed as
select incidents_mapped.incident_id, deployments_mapped.deployment_id, deployments_mapped.deployed_at
from incidents_mapped
{{ asof_join('deployments_mapped', 'incidents_mapped.service = deployments_mapped.service',
             'incidents_mapped.created_at', 'deployed_at', later=false) }}
where incidents_mapped.created_at - deployments_mapped.deployed_at <= interval '168 hours';

create table lower_bound.deployments as
select deployments_mapped.*, coalesce(counts.n, 0) > 0 as is_failed, coalesce(counts.n, 0) as incident_count
from deployments_mapped
left join (select deployment_id, count(*) as n from attributed group by deployment_id) as counts using (deployment_id);

create table lower_bound.changes as
select cast(merged_prs.pull_request_id as varchar) as change_id, d.service, d.team, merged_prs.repository,
       merged_prs.pr_number, merged_prs.title, merged_prs.author, merged_prs.base_ref, merged_prs.url,
       merged_prs.first_commit_at, merged_prs.opened_at, merged_prs.merged_at, d.deployment_id, d.deployed_at,
       case when d.deployed_at >= first_commit_at
            then (extract(epoch from d.deployed_at) - extract(epoch from first_commit_at)) / 3600.0 end
           as lead_time_hours
from shipped
join merged_prs using (pull_request_id)
join deployments_mapped as d using (deployment_id);

create table lower_bound.incidents as
select incidents_mapped.*, attributed.deployment_id,
       case when resolved_at >= created_at
            then (extract(epoch from resolved_at) - extract(epoch from created_at)) / 3600.0 end
           as time_to_restore_hours,
       case when resolved_at >= attributed.deployed_at
            then (extract(epoch from resolved_at) - extract(epoch from attributed.deployed_at)) / 3600.0 end
           as recovery_from_deployment_hours
from incidents_mapped left join attributed using (incident_id);

create temp table scoped_deployments as
select 'org' as scope, 'org' as scope_name, * from lower_bound.deployments
union all select 'team', team, * from lower_bound.deployments where team is not null
union all select 'service', service, * from lower_bound.deployments;

create temp table scoped_changes as
select 'org' as scope, 'org' as scope_name, * from lower_bound.changes
union all select 'team', team, * from lower_bound.changes where team is not null
union all select 'service', service, * from lower_bound.changes;

create temp table scoped_incidents as
select 'org' as scope, 'org' as scope_name, * from lower_bound.incidents
union all select 'team', team, * from lower_bound.incidents where team is not null
union all select 'service', service, * from lower_bound.incidents;

create table lower_bound.dora_weekly as
with d as (
    select scope, scope_name, cast(date_trunc('week', deployed_at) as date) as week_start, count(*) as deployments,
           count(distinct cast(deployed_at as date)) as deployment_days,
           count(*) filter (where is_failed) as failed_deployments
    from scoped_deployments group by scope, scope_name, week_start
),
c as (
    select scope, scope_name, cast(date_trunc('week', deployed_at) as date) as week_start, count(*) as changes,
           percentile_cont(0.5) within group (order by lead_time_hours) as lead_time_median_hours,
           percentile_cont(0.9) within group (order by lead_time_hours) as lead_time_p90_hours
    from scoped_changes group by scope, scope_name, week_start
),
i as (
    select scope, scope_name, cast(date_trunc('week', created_at) as date) as week_start, count(*) as incidents,
           percentile_cont(0.5) within group (order by time_to_restore_hours) as time_to_restore_median_hours,
           percentile_cont(0.5) within group (order by recovery_from_deployment_hours)
               as recovery_from_deployment_median_hours
    from scoped_incidents group by scope, scope_name, week_start
),
weeks as (
    select scope, scope_name,
           cast({{ series('cast(min(week_start) as timestamp)', 'cast(max(week_start) as timestamp)') }} as date)
               as week_start
    from (select scope, scope_name, week_start from d union select scope, scope_name, week_start from c
          union select scope, scope_name, week_start from i) as active
    group by scope, scope_name
)
select weeks.*, coalesce(d.deployments, 0) as deployments, coalesce(d.deployment_days, 0) as deployment_days,
       coalesce(c.changes, 0) as changes, c.lead_time_median_hours, c.lead_time_p90_hours,
       coalesce(d.failed_deployments, 0) as failed_deployments,
       cast(d.failed_deployments as double precision) / d.deployments as change_failure_rate,
       coalesce(i.incidents, 0) as incidents, i.time_to_restore_median_hours, i.recovery_from_deployment_median_hours
from weeks
left join d using (scope, scope_name, week_start)
left join c using (scope, scope_name, week_start)
left join i using (scope, scope_name, week_start);

create table lower_bound.dora_summary as
with windows as (
    select window_days, window_offset,
           timestamp '{{ window_end }}' - window_days * window_offset * interval '1 day' as window_end,
           timestamp '{{ window_end }}' - window_days * (window_offset + 1) * interval '1 day' as window_start
    from (values (30), (90)) as t(window_days), (values (0), (1)) as o(window_offset)
    where window_offset = 0 or timestamp '{{ window_end }}' - window_days * window_offset * interval '1 day'
        > (select min(occurred_at) from (select deployed_at as occurred_at from lower_bound.deployments
                                         union all select created_at from lower_bound.incidents) as occurrences)
),
scope_windows as (
    select * from (select distinct scope, scope_name from scoped_deployments
                   union select distinct scope, scope_name from scoped_incidents) as scopes
    cross join windows
),
d as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.deployment_id) as deployments,
           count(f.deployment_id) filter (where f.is_failed) as failed_deployments
    from scope_windows as sw left join scoped_deployments as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.deployed_at >= sw.window_start and f.deployed_at < sw.window_end
    group by sw.scope, sw.scope_name, sw.window_days, sw.window_offset
),
c as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.change_id) as changes,
           percentile_cont(0.5) within group (order by f.lead_time_hours) as lead_time_median_hours
    from scope_windows as sw left join scoped_changes as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.deployed_at >= sw.window_start and f.deployed_at < sw.window_end
    group by sw.scope, sw.scope_name, sw.window_days, sw.window_offset
),
i as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.incident_id) as incidents,
           percentile_cont(0.5) within group (order by f.time_to_restore_hours) as time_to_restore_median_hours
    from scope_windows as sw left join scoped_incidents as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.created_at >= sw.window_start and f.created_at < sw.window_end
    group by sw.scope, sw.scope_name, sw.window_days, sw.window_offset
)
select scope, scope_name, window_days, window_offset, deployments, deployments / (window_days / 7.0) as deployments_per_week,
       changes, lead_time_median_hours, failed_deployments,
       cast(failed_deployments as double precision) / nullif(deployments, 0) as change_failure_rate,
       incidents, time_to_restore_median_hours
from d join c using (scope, scope_name, window_days, window_offset) join i using (scope, scope_name, window_days, window_offset);
