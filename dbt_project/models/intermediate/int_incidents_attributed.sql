{#- The deployment that caused each incident, if any.

    1. An explicit link carried by the record: `deployment_id` (custom API: ours, e.g.
       `workflow_run:123`, or a custom deployment's own id; a revert: the deployment that shipped
       the reverted change), else `commit_sha` (custom API: the earliest deployment of the
       incident's service that deployed that commit).
    2. Otherwise the latest deployment of the same service at or before the incident was created,
       if at most `incident_attribution_window_hours` (default 168) before it.
    3. Otherwise none. -#}
with

incidents as (
    select * from {{ ref('int_incidents_mapped') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

deployment_links as (
    -- the ids a record may link by: ours, and a custom deployment's own id
    select deployment_id as link, deployment_id, deployed_at from deployments
    union all
    select source_id, deployment_id, deployed_at from deployments
    where method = 'custom'
),

linked_by_id as (
    select
        incidents.incident_id,
        deployments.deployment_id
    from incidents
    inner join deployment_links as deployments
        on incidents.linked_deployment_id = deployments.link
    qualify row_number() over (partition by incidents.incident_id order by deployments.deployed_at, deployments.deployment_id) = 1
),

linked_by_sha as (
    select
        incidents.incident_id,
        deployments.deployment_id
    from incidents
    inner join deployments
        on incidents.linked_commit_sha = deployments.commit_sha
        and incidents.service = deployments.service
    qualify row_number() over (partition by incidents.incident_id order by deployments.deployed_at, deployments.deployment_id) = 1
),

latest_before as (
    select
        incidents.incident_id,
        deployments.deployment_id,
        deployments.deployed_at
    from incidents
    asof inner join deployments
        on incidents.service = deployments.service
        and incidents.created_at >= deployments.deployed_at
),

within_window as (
    select latest_before.incident_id, latest_before.deployment_id
    from latest_before
    inner join incidents on latest_before.incident_id = incidents.incident_id
    where {{ hours_between('latest_before.deployed_at', 'incidents.created_at') }}
        <= {{ var('incident_attribution_window_hours') }}
),

final as (
    select
        incidents.incident_id,
        coalesce(linked_by_id.deployment_id, linked_by_sha.deployment_id, within_window.deployment_id)
            as deployment_id,
        case
            when linked_by_id.deployment_id is not null and incidents.source = 'revert' then 'revert'
            when linked_by_id.deployment_id is not null then 'deployment_id'
            when linked_by_sha.deployment_id is not null then 'commit_sha'
            when within_window.deployment_id is not null then 'window'
        end as attribution
    from incidents
    left join linked_by_id on incidents.incident_id = linked_by_id.incident_id
    left join linked_by_sha on incidents.incident_id = linked_by_sha.incident_id
    left join within_window on incidents.incident_id = within_window.incident_id
)

select * from final
