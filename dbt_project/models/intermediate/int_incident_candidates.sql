{#- Every source record that some incident definition could match, one shape for all methods. -#}
with

pagerduty_incidents as (
    select * from {{ ref('stg_pagerduty__incidents') }}
),

custom_incidents as (
    select * from {{ ref('stg_custom__incidents') }}
),

jira_issues as (
    select * from {{ ref('stg_jira__issues') }}
),

service_names as (
    select * from {{ ref('int_pagerduty_service_names') }}
),

paged_incidents as (
    select
        'pagerduty' as method,
        pagerduty_incident_id as source_id,
        service_name as service,
        service_id,
        urgency,
        priority,
        teams[1] as team,  -- the filter `team` matches the incident's first PagerDuty team
        title,
        created_at,
        resolved_at,
        null as linked_deployment_id,
        null as linked_commit_sha,
        url,
        loaded_at
    from pagerduty_incidents
),

recorded_incidents as (
    select
        'custom' as method,
        custom_incident_id as source_id,
        service,
        urgency,
        priority,
        null as team,
        title,
        created_at,
        resolved_at,
        deployment_id as linked_deployment_id,
        commit_sha as linked_commit_sha,
        url,
        loaded_at
    from custom_incidents
),

tracked_incidents as (
    -- created -> resolved; a workflow can reach Done without setting a resolution, so then the
    -- time the status category became done counts
    select
        'jira_issue' as method,
        cast(jira_issue_id as varchar) as source_id,
        priority,
        summary as title,
        project,
        issue_type,
        labels,
        components,
        created_at,
        coalesce(resolutiondate, case when status_category = 'done' then status_category_changed_at end)
            as resolved_at,
        url,
        loaded_at
    from jira_issues
),

unioned as (
    select * from paged_incidents
    union all by name select * from recorded_incidents
    union all by name select * from tracked_incidents
),

final as (
    -- a PagerDuty incident takes its service's current name (renamed at PagerDuty: same id)
    select
        unioned.method || ':' || unioned.source_id as candidate_id,
        unioned.method,
        unioned.source_id,
        coalesce(service_names.service_name, unioned.service) as service,
        cast(unioned.service_id as varchar) as service_id,
        urgency,
        priority,
        cast(team as varchar) as team,
        title,
        cast(project as varchar) as project,
        cast(issue_type as varchar) as issue_type,
        cast(labels as varchar[]) as labels,
        cast(components as varchar[]) as components,
        created_at,
        resolved_at,
        cast(linked_deployment_id as varchar) as linked_deployment_id,
        cast(linked_commit_sha as varchar) as linked_commit_sha,
        url,
        loaded_at
    from unioned
    left join service_names on unioned.service_id = service_names.service_id
    where created_at is not null
)

select * from final
