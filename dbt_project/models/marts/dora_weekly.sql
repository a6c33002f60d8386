{#- The five DORA metrics per week (Monday) for the org, each team and each service. Deployments and
    changes count in the week they were deployed, incidents in the week they were created; a monorepo
    deployment or change counts for each of its services (int_deployment_services,
    int_change_services) and once for the org, a change for a service in the week of the deployment
    that shipped it for that service, with the lead time to it (macros/scopes.sql scoped_changes). Each
    scope has one row per week from its first to its last week with activity; a quiet week has 0
    counts and null medians. Medians are interpolated (percentile_cont).
    - deployment frequency: deployments, deployment_days (days with at least one deployment)
    - lead time for changes: median and p90 of changes.lead_time_hours
    - change failure rate: failed_deployments / deployments (a failed deployment has >= 1 incident)
    - deployment rework rate: rework_deployments / deployments (deployments.is_rework)
    - time to restore: median of incidents.time_to_restore_hours (resolved incidents) -#}
with

deployments as (
    select *, {{ week_start('deployed_at') }} as week_start
    from {{ ref('deployments') }}
),

changes as (
    select * from {{ ref('changes') }}
),

deployment_services as (
    select * from {{ ref('int_deployment_services') }}
),

change_services as (
    select * from {{ ref('int_change_services') }}
),

incidents as (
    select *, {{ week_start('created_at') }} as week_start
    from {{ ref('incidents') }}
),

deployment_frequency as (
    select
        scope, scope_name, week_start,
        count(*) as deployments,
        count(distinct cast(deployed_at as date)) as deployment_days,
        count(*) filter (where is_failed) as failed_deployments,
        count(*) filter (where is_rework) as rework_deployments
    from ({{ scoped('deployments', memberships='deployment_services', key='deployment_id') }}) as scoped_deployments
    group by scope, scope_name, week_start
),

lead_time as (
    select
        scope, scope_name, week_start,
        count(*) as changes,
        {{ percentile_cont('lead_time_hours', 0.5) }} as lead_time_median_hours,
        {{ percentile_cont('lead_time_hours', 0.9) }} as lead_time_p90_hours
    from (
        select *, {{ week_start('deployed_at') }} as week_start
        from ({{ scoped_changes('changes', 'change_services') }}) as scoped_changes
    ) as weekly_changes
    group by scope, scope_name, week_start
),

time_to_restore as (
    select
        scope, scope_name, week_start,
        count(*) as incidents,
        {{ percentile_cont('time_to_restore_hours', 0.5) }} as time_to_restore_median_hours,
        {{ percentile_cont('recovery_from_deployment_hours', 0.5) }} as recovery_from_deployment_median_hours
    from ({{ scoped('incidents') }}) as scoped_incidents
    group by scope, scope_name, week_start
),

active_weeks as (
    select scope, scope_name, week_start from deployment_frequency
    union
    select scope, scope_name, week_start from lead_time
    union
    select scope, scope_name, week_start from time_to_restore
),

weeks as (
    -- every week from the scope's first to its last active week
    select
        scope,
        scope_name,
        cast({{ timestamp_series(
            'cast(min(week_start) as timestamp)', 'cast(max(week_start) as timestamp)', '7 days'
        ) }} as date) as week_start
    from active_weeks
    group by scope, scope_name
),

final as (
    select
        weeks.scope,
        weeks.scope_name,
        weeks.week_start,
        coalesce(deployment_frequency.deployments, 0) as deployments,
        coalesce(deployment_frequency.deployment_days, 0) as deployment_days,
        coalesce(lead_time.changes, 0) as changes,
        lead_time.lead_time_median_hours,
        lead_time.lead_time_p90_hours,
        coalesce(deployment_frequency.failed_deployments, 0) as failed_deployments,
        cast(deployment_frequency.failed_deployments as double precision) / deployment_frequency.deployments
            as change_failure_rate,
        coalesce(deployment_frequency.rework_deployments, 0) as rework_deployments,
        cast(deployment_frequency.rework_deployments as double precision) / deployment_frequency.deployments
            as rework_rate,
        coalesce(time_to_restore.incidents, 0) as incidents,
        time_to_restore.time_to_restore_median_hours,
        time_to_restore.recovery_from_deployment_median_hours
    from weeks
    left join deployment_frequency using (scope, scope_name, week_start)
    left join lead_time using (scope, scope_name, week_start)
    left join time_to_restore using (scope, scope_name, week_start)
)

select * from final
