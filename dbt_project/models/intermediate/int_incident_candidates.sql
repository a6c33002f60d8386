{#- Every source record that some incident definition could match, one shape for both methods. -#}
with

pagerduty_incidents as (
    select * from {{ ref('stg_pagerduty__incidents') }}
),

custom_incidents as (
    select * from {{ ref('stg_custom__incidents') }}
),

paged_incidents as (
    select
        'pagerduty' as method,
        pagerduty_incident_id as source_id,
        service_name as service,
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

unioned as (
    select * from paged_incidents
    union all by name select * from recorded_incidents
),

final as (
    select
        method || ':' || source_id as candidate_id,
        method,
        source_id,
        service,
        urgency,
        priority,
        cast(team as varchar) as team,
        title,
        created_at,
        resolved_at,
        cast(linked_deployment_id as varchar) as linked_deployment_id,
        cast(linked_commit_sha as varchar) as linked_commit_sha,
        url,
        loaded_at
    from unioned
    where created_at is not null
)

select * from final
