{#- Why each failed deployment failed: the incidents attributed to it (int_incidents_attributed),
    one reason each, joined with '; ' in the order they were created:
    - `incident <incident_id> "<title>" (definition <definition_id>, attributed by <attribution>),
      created <h> h after the deployment`;
    - a revert: `reverted by <repository>#<number> (definition <definition_id>), opened <h> h after
      the deployment`.
    Hours are rounded to one decimal; an incident created before the deployment it is linked to
    reads `<h> h before the deployment`. -#}
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
        attributions.deployment_id,
        attributions.attribution,
        incidents.incident_id,
        incidents.source,
        incidents.definition_id,
        incidents.title,
        incidents.created_at,
        changes.repository as revert_repository,
        changes.pr_number as revert_number,
        {{ hours_between('deployments.deployed_at', 'incidents.created_at') }} as hours_after
    from attributions
    inner join incidents on attributions.incident_id = incidents.incident_id
    inner join deployments on attributions.deployment_id = deployments.deployment_id
    left join changes on incidents.source = 'revert' and incidents.source_id = changes.change_id
),

reasons as (
    select
        deployment_id,
        incident_id,
        created_at,
        case
            when source = 'revert'
                then 'reverted by ' || revert_repository || '#' || cast(revert_number as varchar)
                     || ' (definition ' || definition_id || '), opened '
            else 'incident ' || incident_id || coalesce(' "' || title || '"', '')
                 || ' (definition ' || definition_id || ', attributed by ' || attribution || '), created '
        end
        || cast(cast(abs(hours_after) as decimal(18, 1)) as varchar)
        || case when hours_after < 0 then ' h before the deployment' else ' h after the deployment' end
            as reason
    from attributed
),

final as (
    select
        deployment_id,
        count(*) as incident_count,
        {{ joined_in_order('reason', "'; '", ['created_at', 'incident_id']) }} as failure_reason
    from reasons
    group by deployment_id
)

select * from final
