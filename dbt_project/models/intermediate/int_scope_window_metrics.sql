{#- The DORA metrics of dora_summary per scope (org, each team, each service) and window, before
    levels. Windows: macros/scopes.sql report_windows (var window_end, default the start of today, UTC).
    - a monorepo deployment or change counts for each of its services (int_deployment_services,
      int_change_services), once for the org; a change's lead time (and deploy wait) runs, for a
      service, to the deployment that shipped it for that service, for a team to the first of its
      services', for the org to the first of all (macros/scopes.sql scoped_changes);
    - window_offset 0 is [window_end - N days, window_end); window_offset 1 the N days before it,
      present once the history has begun (a deployment or incident before that window's end), so
      a report compares with an earlier window only when it is a real one;
    - deployments_per_week = deployments in the window / (window_days / 7)
    - lead_time_median_hours = median lead time of the changes deployed in the window; coding,
      review and deploy wait: the median of each stage over the same changes
    - change_failure_rate = failed deployments / deployments in the window
    - rework_rate = rework deployments / deployments in the window
    - time_to_restore_median_hours = median time to restore of the resolved incidents created in
      the window (resolved_incidents of them) -#}
with

deployments as (
    select * from {{ ref('deployments') }}
),

changes as (
    select * from {{ ref('changes') }}
),

incidents as (
    select * from {{ ref('incidents') }}
),

deployment_services as (
    select * from {{ ref('int_deployment_services') }}
),

change_services as (
    select * from {{ ref('int_change_services') }}
),

windows as (
    {{ report_windows([('deployments', 'deployed_at'), ('incidents', 'created_at')]) }}
),

scopes as (
    -- every scope a deployment or incident ever had (one without any in a window reports 0); a
    -- deployment's team and service scopes are its memberships (every deployment has at least one),
    -- each made distinct before the union (else Postgres sorts every membership row to dedupe)
    select 'org' as scope, 'org' as scope_name where exists (select 1 from deployments)
    union
    select distinct 'team', team from deployment_services where team is not null
    union
    select distinct 'service', service from deployment_services where service is not null
    union
    select distinct scope, scope_name from ({{ scoped('incidents') }}) as scoped_incidents
),

scope_windows as (
    select * from scopes cross join windows
),

first_window as (
    -- only what falls in a window is counted (scoping the whole history first: dora_summary 13 s
    -- instead of 5 s on Postgres at a million PRs)
    select min(window_start) as window_start from windows
),

recent_deployments as (
    select * from deployments
    where deployed_at >= (select window_start from first_window)
),

recent_changes as (
    -- a change reaches a service or team scope at or after its org deployment, so also those
    -- shipped for a service since the first window's start
    select * from changes
    where deployed_at >= (select window_start from first_window)
        or change_id in (
            select change_id from change_services where deployed_at >= (select window_start from first_window))
),

windowed_deployments as (
    {{ in_scope_windows('recent_deployments', 'deployed_at', 'deployment_services', 'deployment_id') }}
),

windowed_changes as (
    {{ in_scope_windows('recent_changes', 'deployed_at', facts=scoped_changes('recent_changes', 'change_services', ('fact_scope', 'fact_scope_name'))) }}
),

windowed_incidents as (
    {{ in_scope_windows('incidents', 'created_at') }}
),

deployment_frequency as materialized (
    -- materialized, as lead_time and time_to_restore: inlined, PostgreSQL joined each to the scope
    -- windows by a nested loop that recomputed it for every scope window (84 at bench scale 0.3:
    -- the query 8.6 s -> 0.7 s)
    select
        scope, scope_name, window_days, window_offset,
        count(deployment_id) as deployments,
        count(deployment_id) filter (where is_failed) as failed_deployments,
        count(deployment_id) filter (where is_rework) as rework_deployments
    from windowed_deployments
    group by scope, scope_name, window_days, window_offset
),

lead_time as materialized (
    select
        scope, scope_name, window_days, window_offset,
        count(change_id) as changes,
        {{ percentile_cont('lead_time_hours', 0.5) }} as lead_time_median_hours,
        {{ percentile_cont('coding_hours', 0.5) }} as coding_median_hours,
        {{ percentile_cont('review_hours', 0.5) }} as review_median_hours,
        {{ percentile_cont('deploy_wait_hours', 0.5) }} as deploy_wait_median_hours
    from windowed_changes
    group by scope, scope_name, window_days, window_offset
),

time_to_restore as materialized (
    select
        scope, scope_name, window_days, window_offset,
        count(incident_id) as incidents,
        count(time_to_restore_hours) as resolved_incidents,
        {{ percentile_cont('time_to_restore_hours', 0.5) }} as time_to_restore_median_hours
    from windowed_incidents
    group by scope, scope_name, window_days, window_offset
),

final as (
    select
        scope_windows.scope,
        scope_windows.scope_name,
        scope_windows.window_days,
        scope_windows.window_offset,
        scope_windows.window_start,
        scope_windows.window_end,
        deployment_frequency.deployments,
        cast(deployment_frequency.deployments as double precision) / (scope_windows.window_days / 7.0) as deployments_per_week,
        lead_time.changes,
        lead_time.lead_time_median_hours,
        lead_time.coding_median_hours,
        lead_time.review_median_hours,
        lead_time.deploy_wait_median_hours,
        deployment_frequency.failed_deployments,
        cast(deployment_frequency.failed_deployments as double precision) / nullif(deployment_frequency.deployments, 0)
            as change_failure_rate,
        deployment_frequency.rework_deployments,
        cast(deployment_frequency.rework_deployments as double precision) / nullif(deployment_frequency.deployments, 0)
            as rework_rate,
        time_to_restore.incidents,
        time_to_restore.resolved_incidents,
        time_to_restore.time_to_restore_median_hours
    from scope_windows
    inner join deployment_frequency using (scope, scope_name, window_days, window_offset)
    inner join lead_time using (scope, scope_name, window_days, window_offset)
    inner join time_to_restore using (scope, scope_name, window_days, window_offset)
)

select * from final
