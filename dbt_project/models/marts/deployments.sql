{#- One row per deployment. A deployment is failed when at least one incident is attributed to it
    (int_incidents_attributed). -#}
with

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

attributions as (
    select * from {{ ref('int_incidents_attributed') }}
),

incident_counts as (
    select deployment_id, count(*) as incident_count
    from attributions
    where deployment_id is not null
    group by deployment_id
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
        coalesce(incident_counts.incident_count, 0) > 0 as is_failed,
        coalesce(incident_counts.incident_count, 0) as incident_count
    from deployments
    left join incident_counts on deployments.deployment_id = incident_counts.deployment_id
)

select * from final
