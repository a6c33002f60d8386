{{ config(materialized='table') }}

{#- The services (and teams) each shipped change counts for in lead time, one row per (change,
    service), with the deployment that shipped it for that service
    (int_changes_shipped_per_service): each service its paths give it, shipped by the first
    deployment counting for that service; else the one int_deployments_mapped gives the deployment
    that shipped it (its repository's, or the service its definition names). -#}
with

shipped as (
    select * from {{ ref('int_changes_shipped_per_service') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

services as (
    select * from {{ ref('int_services') }}
),

counted as (
    select
        shipped.change_id,
        coalesce(shipped.service, deployments.service) as service,
        case when shipped.service is null then deployments.team end as deployment_team,
        shipped.deployment_id,
        deployments.deployed_at
    from shipped
    inner join deployments on shipped.deployment_id = deployments.deployment_id
),

service_teams as (
    select distinct service, service_team as team
    from services
),

final as (
    select
        counted.change_id,
        counted.service,
        coalesce(service_teams.team, counted.deployment_team) as team,
        counted.deployment_id,
        counted.deployed_at
    from counted
    left join service_teams on counted.service = service_teams.service
)

select * from final
