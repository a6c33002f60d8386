{#- The deployment that caused each incident, if any.

    1. An explicit link carried by the record: `deployment_id` (custom API: ours, e.g.
       `workflow_run:123`, or a custom deployment's own id; a revert: the deployment that shipped
       the reverted change), else `commit_sha` (custom API: the earliest deployment of the
       incident's service that deployed that commit).
    2. Otherwise the latest deployment of the same service (one it counts for:
       int_deployment_services) at or before the incident was created,
       if at most `incident_attribution_window_hours` (default 168) before it.
    3. Otherwise none. -#}
with

incidents as (
    select * from {{ ref('int_incidents_mapped') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

deployment_services as (
    select * from {{ ref('int_deployment_services') }}
),

service_deployments as (
    -- a deployment under each service it counts for (a monorepo deployment: several)
    select deployment_services.service, deployments.deployment_id, deployments.deployed_at, deployments.commit_sha
    from deployment_services
    inner join deployments on deployment_services.deployment_id = deployments.deployment_id
),

deployment_links as (
    -- the ids a record may link by: ours, and a custom deployment's own id
    select deployment_id as link, deployment_id, deployed_at from deployments
    union all
    select source_id, deployment_id, deployed_at from deployments
    where method = 'custom'
),

deployment_instants as (
    -- one deployment per service and instant (the greatest id among simultaneous ones)
    select service, deployed_at, max(deployment_id) as deployment_id
    from service_deployments
    group by service, deployed_at
),

latest_before as (
    select
        incidents.incident_id,
        deployment_instants.deployment_id,
        deployment_instants.deployed_at
    from {{ asof_join('incidents', 'incident_id', 'deployment_instants', ['service'], 'created_at', '>=', 'deployed_at') }}
),

within_window as (
    select latest_before.incident_id, latest_before.deployment_id, latest_before.deployed_at
    from latest_before
    inner join incidents on latest_before.incident_id = incidents.incident_id
    where {{ hours_between('latest_before.deployed_at', 'incidents.created_at') }}
        <= {{ var('incident_attribution_window_hours') }}
),

links as (
    -- every deployment an incident may be attributed to: by its deployment id, its commit, the window
    select incidents.incident_id, deployments.deployment_id, deployments.deployed_at, 1 as precedence,
        'deployment_id' as attribution
    from incidents
    inner join deployment_links as deployments
        on incidents.linked_deployment_id = deployments.link
    union all
    select incidents.incident_id, deployments.deployment_id, deployments.deployed_at, 2, 'commit_sha'
    from incidents
    inner join service_deployments as deployments
        on incidents.linked_commit_sha = deployments.commit_sha
        and incidents.service = deployments.service
    union all
    select incident_id, deployment_id, deployed_at, 3, 'window'
    from within_window
),

first_links as (
    -- the link of the highest precedence; among several, the earliest deployment
    select incident_id, deployment_id, attribution
    from (
        select
            *,
            row_number() over (partition by incident_id order by precedence, deployed_at, deployment_id) as link_rank
        from links
    ) as ranked_links
    where link_rank = 1
),

final as (
    select
        incidents.incident_id,
        first_links.deployment_id,
        case
            when first_links.attribution = 'deployment_id' and incidents.source = 'revert' then 'revert'
            else first_links.attribution
        end as attribution
    from incidents
    left join first_links on incidents.incident_id = first_links.incident_id
)

select * from final
