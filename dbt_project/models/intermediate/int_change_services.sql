{{ config(materialized='table') }}

{#- The services (and teams) each shipped change counts for in lead time, one row per (change,
    service): the services its paths give it (int_change_path_services), else the one
    int_deployments_mapped gives the deployment that shipped it (its repository's). -#}
with

shipped as (
    select * from {{ ref('int_changes_shipped') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

path_services as (
    select * from {{ ref('int_change_path_services') }}
),

services as (
    select * from {{ ref('int_services') }}
),

counted as (
    select shipped.change_id, path_services.service, cast(null as varchar) as deployment_team
    from shipped
    inner join path_services on shipped.change_id = path_services.change_id
    union all
    select shipped.change_id, deployments.service, deployments.team
    from shipped
    inner join deployments on shipped.deployment_id = deployments.deployment_id
    where not exists (select 1 from path_services where path_services.change_id = shipped.change_id)
),

service_teams as (
    select distinct service, service_team as team
    from services
),

final as (
    select
        counted.change_id,
        counted.service,
        coalesce(service_teams.team, counted.deployment_team) as team
    from counted
    left join service_teams on counted.service = service_teams.service
)

select * from final
