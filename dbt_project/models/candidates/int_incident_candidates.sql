{#- Every source record that some incident definition could match, one shape for all methods:
    the union of one model per method (int_incident_candidates__<method>). A record without a
    creation time is no incident. A PagerDuty incident takes its service's current name (renamed
    at PagerDuty: same id), a GitHub record its repository's (renamed or transferred: same id). -#}
with

unioned as (
    select * from {{ ref('int_incident_candidates__pagerduty') }}
    union all
    select * from {{ ref('int_incident_candidates__custom') }}
    union all
    select * from {{ ref('int_incident_candidates__jira_issue') }}
    union all
    select * from {{ ref('int_incident_candidates__github_issue') }}
    union all
    select * from {{ ref('int_incident_candidates__revert') }}
),

service_names as (
    select * from {{ ref('int_pagerduty_service_names') }}
),

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

final as (
    select
        unioned.method || ':' || unioned.source_id as candidate_id,
        unioned.method,
        unioned.source_id,
        coalesce(service_names.service_name, unioned.service) as service,
        unioned.service_id,
        coalesce(repository_names.repository, unioned.repository) as repository,
        unioned.repository_id,
        unioned.urgency,
        unioned.priority,
        unioned.team,
        unioned.title,
        unioned.project,
        unioned.issue_type,
        unioned.labels,
        unioned.components,
        unioned.created_at,
        unioned.resolved_at,
        unioned.linked_deployment_id,
        unioned.linked_commit_sha,
        unioned.linked_change_id,
        unioned.url,
        unioned.loaded_at
    from unioned
    left join service_names on unioned.service_id = service_names.service_id
    left join repository_names on unioned.repository_id = repository_names.repository_id
    where unioned.created_at is not null
)

select * from final
