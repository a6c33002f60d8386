{#- The records that currently count as incidents, with their service and team (services.csv).
    A custom incident names its service; a PagerDuty incident takes the first services.csv row whose
    `pagerduty_service` glob matches its PagerDuty service, else that service's name; a Jira
    incident the first row whose `jira` glob matches `<project>/<first component>` (`<project>`
    without components), else its project key; a GitHub issue or revert the first row whose
    `repository` glob matches its repository, else the repository. The team is the one
    services.csv gives that service, else the incident's first PagerDuty team. An incident
    created or resolved more than a day after its load is left out (marts.quarantine lists it).
    A revert counts only with its outcome in production (int_revert_outcomes): it is resolved when
    the revert was deployed and linked to the deployment that shipped the reverted change. -#}
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

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

revert_outcomes as (
    select * from {{ ref('int_revert_outcomes') }}
),

incidents as (
    -- stored under the names of its time: shown under the service's and repository's current names;
    -- a revert takes its times and link from what it did in production, and counts only then
    select
        incident_history.*,
        coalesce(service_names.service_name, incident_history.service) as current_service,
        coalesce(repository_names.repository, incident_history.repository) as current_repository,
        case when incident_history.method = 'revert' then revert_outcomes.recovered_at
             else incident_history.resolved_at end as counted_resolved_at,
        coalesce(revert_outcomes.failed_deployment_id, incident_history.linked_deployment_id)
            as counted_linked_deployment_id
    from incident_history
    left join service_names on incident_history.service_id = service_names.service_id
    left join repository_names on incident_history.repository_id = repository_names.repository_id
    left join revert_outcomes on incident_history.candidate_id = revert_outcomes.incident_id
    where incident_history.is_incident
        and not {{ dated_after_load('greatest(incident_history.created_at, incident_history.resolved_at)',
                                    'incident_history.loaded_at') }}
        and (incident_history.method <> 'revert' or revert_outcomes.incident_id is not null)
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

repository_incidents as (
    select * from incidents
    where current_repository is not null
),

repository_services as (
    {{ first_matching_service('repository_incidents', 'candidate_id', 'current_repository', 'services', 'whole_repository_pattern') }}
),

service_teams as (
    select distinct service, service_team as team
    from services
),

named as (
    select
        incidents.*,
        coalesce(
            pagerduty_services.service, jira_services.service, repository_services.service,
            incidents.current_service, incidents.current_repository, incidents.project
        ) as service_name
    from incidents
    left join pagerduty_services on incidents.candidate_id = pagerduty_services.record_id
    left join jira_services on incidents.candidate_id = jira_services.record_id
    left join repository_services on incidents.candidate_id = repository_services.record_id
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
        named.counted_resolved_at as resolved_at,
        named.counted_linked_deployment_id as linked_deployment_id,
        named.linked_commit_sha,
        named.url
    from named
    left join service_teams on named.service_name = service_teams.service
)

select * from final
