{#- The records that currently count as incidents, with their service and team (services.csv).
    A custom incident names its service; a PagerDuty incident takes the first services.csv row whose
    `pagerduty_service` glob matches its PagerDuty service, else that service's name; a Jira
    incident the first row whose `jira` glob matches `<project>/<first component>` (`<project>`
    without components), else its project key. The team is
    the one services.csv gives that service, else the incident's first PagerDuty team. An incident
    created or resolved more than a day after its load is left out (marts.quarantine lists it). -#}
with

incident_history as (
    select * from {{ ref('incident_history') }}
),

services as (
    select * from {{ ref('int_services') }}
),

service_names as (
    select * from {{ ref('int_pagerduty_service_names') }}
),

incidents as (
    -- stored under the PagerDuty service name of its time: shown under the service's current name
    select
        incident_history.*,
        coalesce(service_names.service_name, incident_history.service) as current_service
    from incident_history
    left join service_names on incident_history.service_id = service_names.service_id
    where incident_history.is_incident
        and not {{ dated_after_load('greatest(incident_history.created_at, incident_history.resolved_at)',
                                    'incident_history.loaded_at') }}
),

paged_incidents as (
    select * from incidents
    where method = 'pagerduty'
),

pagerduty_services as (
    {{ first_matching_service('paged_incidents', 'candidate_id', 'current_service', 'services', 'pagerduty_service_pattern') }}
),

jira_incidents as (
    select candidate_id, {{ jira_scope('project', 'components') }} as jira_scope
    from incidents
    where method = 'jira_issue'
),

jira_services as (
    {{ first_matching_service('jira_incidents', 'candidate_id', 'jira_scope', 'services', 'jira_pattern') }}
),

service_teams as (
    select distinct service, service_team as team
    from services
),

named as (
    select
        incidents.*,
        coalesce(pagerduty_services.service, jira_services.service, incidents.current_service, incidents.project)
            as service_name
    from incidents
    left join pagerduty_services on incidents.candidate_id = pagerduty_services.record_id
    left join jira_services on incidents.candidate_id = jira_services.record_id
),

final as (
    select
        named.candidate_id as incident_id,
        named.method as source,
        named.source_id,
        named.definition_id,
        named.service_name as service,
        coalesce(service_teams.team, named.team) as team,
        named.title,
        named.urgency,
        named.priority,
        named.created_at,
        named.resolved_at,
        named.linked_deployment_id,
        named.linked_commit_sha,
        named.url
    from named
    left join service_teams on named.service_name = service_teams.service
)

select * from final
