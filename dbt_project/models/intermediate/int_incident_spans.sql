{{ config(materialized='table') }}

{#- Every incident as the deployments mart reads it: when it was open, for which service, the
    deployment it is attributed to (int_incidents_attributed) and the reason that deployment failed
    by it, null when it is attributed to none. The reason:
    - `incident <incident_id> "<title>" (definition <definition_id>, attributed by <attribution>),
      created <h> h after the deployment`;
    - a revert: `reverted by <repository>#<number> (definition <definition_id>), opened <h> h after
      the deployment`.
    Hours are rounded to one decimal; an incident created before the deployment it is linked to
    reads `<h> h before the deployment`.
    A table: the deployments mart reads it several times, and compares it with the copy it kept
    of it at its last build to find the deployments an incident's change reaches. -#}
with

attributions as (
    select * from {{ ref('int_incidents_attributed') }}
),

incidents as (
    select * from {{ ref('int_incidents_mapped') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

changes as (
    select * from {{ ref('int_merged_changes') }}
),

attributed as (
    select
        incidents.incident_id,
        incidents.service,
        incidents.created_at,
        incidents.resolved_at,
        incidents.source,
        incidents.definition_id,
        incidents.title,
        attributions.attribution,
        deployments.deployment_id,
        deployments.deployed_at,
        changes.repository as revert_repository,
        changes.pr_number as revert_number,
        {{ hours_between('deployments.deployed_at', 'incidents.created_at') }} as hours_after
    from incidents
    inner join attributions on incidents.incident_id = attributions.incident_id
    left join deployments on attributions.deployment_id = deployments.deployment_id
    left join changes on incidents.source = 'revert' and incidents.source_id = changes.change_id
),

final as (
    select
        incident_id,
        service,
        created_at,
        resolved_at,
        deployment_id,
        deployed_at,
        case
            when deployment_id is null then null
            when source = 'revert'
                then 'reverted by ' || revert_repository || '#' || cast(revert_number as varchar)
                     || ' (definition ' || definition_id || '), opened '
            else 'incident ' || incident_id || coalesce(' "' || title || '"', '')
                 || ' (definition ' || definition_id || ', attributed by ' || attribution || '), created '
        end
        || cast(cast(abs(hours_after) as decimal(18, 1)) as varchar)
        || case when hours_after < 0 then ' h before the deployment' else ' h after the deployment' end
            as failure_reason
    from attributed
)

select * from final
