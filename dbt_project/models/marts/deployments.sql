{#- One row per deployment, with the services it counts for (several, for a monorepo deployment,
    joined with ', ': int_deployment_services has one row each) and their teams. A deployment is failed when at least one incident is attributed to it
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

counted_for as (
    -- a monorepo deployment counts for several services (int_deployment_services): named together
    {{ services_named_together('int_deployment_services', 'deployment_id') }}
),

final as (
    select
        deployments.deployment_id,
        counted_for.services as service,
        counted_for.teams as team,
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
    inner join counted_for on deployments.deployment_id = counted_for.deployment_id
    left join failures on deployments.deployment_id = failures.deployment_id
    left join reworked on deployments.deployment_id = reworked.deployment_id
)

select * from final
