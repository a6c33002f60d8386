{#- What each counted revert incident (method revert) did in production: the deployment that
    shipped the reverted pull request failed, and it was recovered when the deployment shipping
    the revert went out (still open while the revert is not deployed). A revert whose reverted
    pull request never reached a deployment, or went out in the same deployment as the revert,
    broke nothing in production: it has no row here and is no incident in the marts. -#}
with

incident_history as (
    select * from {{ ref('incident_history') }}
),

shipped as (
    select * from {{ ref('int_changes_shipped') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

reverts as (
    select candidate_id, source_id, linked_change_id
    from incident_history
    where method = 'revert' and is_incident
),

shipped_deployments as (
    select shipped.change_id, deployments.deployment_id, deployments.deployed_at
    from shipped
    inner join deployments on shipped.deployment_id = deployments.deployment_id
),

final as (
    select
        reverts.candidate_id as incident_id,
        failed.deployment_id as failed_deployment_id,
        recovered.deployment_id as recovery_deployment_id,
        recovered.deployed_at as recovered_at
    from reverts
    inner join shipped_deployments as failed on reverts.linked_change_id = failed.change_id
    left join shipped_deployments as recovered on reverts.source_id = recovered.change_id
    where recovered.deployment_id is null or recovered.deployment_id <> failed.deployment_id
)

select * from final
