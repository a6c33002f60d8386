{#- One row per deployment. A deployment is failed when at least one incident is attributed to it
    (int_incidents_attributed; why: int_deployment_failures), and rework when a rework definition
    matches it (int_deployments_reworked). -#}
with

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

failures as (
    select * from {{ ref('int_deployment_failures') }}
),

reworked as (
    select * from {{ ref('int_deployments_reworked') }}
),

final as (
    select
        deployments.deployment_id,
        deployments.service,
        deployments.team,
        deployments.repository,
        deployments.method,
        deployments.definition_id,
        deployments.environment,
        deployments.branch,
        deployments.commit_sha,
        deployments.deployed_at,
        deployments.url,
        failures.deployment_id is not null as is_failed,
        coalesce(failures.incident_count, 0) as incident_count,
        failures.failure_reason,
        reworked.deployment_id is not null as is_rework,
        reworked.definition_id as rework_definition_id,
        reworked.rework_reason
    from deployments
    left join failures on deployments.deployment_id = failures.deployment_id
    left join reworked on deployments.deployment_id = reworked.deployment_id
)

select * from final
