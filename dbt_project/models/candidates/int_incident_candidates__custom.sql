{#- custom: an incident recorded through the custom API.
    - A record sent to /incidents; it may name the deployment or commit that caused it.
    - The CDEvents incident.detected / reported / resolved sent to /cdevents about one subject:
      one incident, created at its first detected or reported event (else its first event),
      resolved at its last resolved event, titled by the description of a detected or reported
      event (else the subject id); customData.commit_sha names the commit that caused it.
    - A CDEvent service.rolledback marks the deployment before it failed: an incident titled
      `Rollback in <environment>` (id: the rollback's), linked to the custom deployment of the
      same service and environment just before the rollback, created when that deployment was
      deployed and resolved at the rollback. So its time to restore is the time the failed
      deployment was live. -#}
with

incidents as (
    select * from {{ ref('stg_custom__incidents') }}
),

cdevents as (
    select * from {{ ref('stg_custom__cdevents') }}
),

custom_deployments as (
    select * from {{ ref('int_deployment_candidates__custom') }}
),

cdevents_incidents as (
    select
        cdevents_incident_id as source_id,
        coalesce(max(service) filter (where predicate <> 'incident.resolved'), max(service)) as service,
        coalesce(max(title) filter (where predicate <> 'incident.resolved'), max(subject_id)) as title,
        coalesce(min(occurred_at) filter (where predicate <> 'incident.resolved'), min(occurred_at)) as created_at,
        max(occurred_at) filter (where predicate = 'incident.resolved') as resolved_at,
        max(commit_sha) as commit_sha,
        max(url) as url,
        max(loaded_at) as loaded_at
    from cdevents
    where predicate in ('incident.detected', 'incident.reported', 'incident.resolved')
    group by cdevents_incident_id
),

sequenced_deployments as (
    -- each custom deployment with the one just before it in the same service and environment
    select
        source_id,
        service,
        environment,
        deployed_at,
        loaded_at,
        lag(source_id) over same_environment as previous_source_id,
        lag(deployed_at) over same_environment as previous_deployed_at,
        lag(loaded_at) over same_environment as previous_loaded_at
    from custom_deployments
    window same_environment as (partition by service, environment order by deployed_at, source_id)
),

rollback_incidents as (
    -- loaded with the later of the two records, so a deployment that arrives after its rollback re-evaluates it
    select
        sequenced_deployments.source_id,
        sequenced_deployments.service,
        'Rollback in ' || sequenced_deployments.environment as title,
        sequenced_deployments.previous_deployed_at as created_at,
        sequenced_deployments.deployed_at as resolved_at,
        sequenced_deployments.previous_source_id as deployment_id,
        greatest(sequenced_deployments.loaded_at, sequenced_deployments.previous_loaded_at) as loaded_at
    from sequenced_deployments
    inner join cdevents on sequenced_deployments.source_id = cdevents.cdevent_id
    where cdevents.predicate = 'service.rolledback'
        and sequenced_deployments.previous_source_id is not null
),

recorded as (
    select
        custom_incident_id as source_id, service, urgency, priority, title, created_at, resolved_at,
        deployment_id, commit_sha, url, loaded_at
    from incidents
    union all
    select source_id, service, null, null, title, created_at, resolved_at, null, commit_sha, url, loaded_at
    from cdevents_incidents
    union all
    select source_id, service, null, null, title, created_at, resolved_at, deployment_id, null, null, loaded_at
    from rollback_incidents
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'custom'",
            'source_id': 'source_id',
            'service': 'service',
            'urgency': 'urgency',
            'priority': 'priority',
            'title': 'title',
            'created_at': 'created_at',
            'resolved_at': 'resolved_at',
            'linked_deployment_id': 'deployment_id',
            'linked_commit_sha': 'commit_sha',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from recorded
)

select * from final
