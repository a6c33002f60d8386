{#- One row per incident. Time to restore = resolved_at - created_at; recovery from the deployment
    that caused it (failed deployment recovery time) = resolved_at - that deployment's deployed_at. -#}
with

incidents as (
    select * from {{ ref('int_incidents_mapped') }}
),

attributions as (
    select * from {{ ref('int_incidents_attributed') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

final as (
    select
        incidents.incident_id,
        incidents.service,
        incidents.team,
        incidents.source,
        incidents.definition_id,
        incidents.title,
        incidents.urgency,
        incidents.priority,
        incidents.url,
        incidents.created_at,
        incidents.resolved_at,
        {{ elapsed_hours('incidents.created_at', 'incidents.resolved_at') }} as time_to_restore_hours,
        attributions.deployment_id,
        attributions.attribution,
        {{ elapsed_hours('deployments.deployed_at', 'incidents.resolved_at') }} as recovery_from_deployment_hours
    from incidents
    left join attributions on incidents.incident_id = attributions.incident_id
    left join deployments on attributions.deployment_id = deployments.deployment_id
)

select * from final
