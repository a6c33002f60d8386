{{ config(materialized='table') }}

{#- The services each deployment counts for, one row per (deployment, service):
    - a deployment whose definition names its service (is_service_named) counts for that one;
    - any other that shipped PRs belonging to services by their paths (services.csv `paths`:
      int_change_path_services), a monorepo's, counts for each service it shipped one for: a
      merged_pr deployment for its own PR's, another for those int_changes_shipped_per_service
      says it shipped them for (a service a named deployment shipped first is not its);
    - any other (a repository without paths, or a monorepo deployment that shipped no such PR, as
      its first deployment, the baseline) for its one service of int_deployments_mapped.
    The team is the one services.csv gives the service. Org totals count a deployment once; a
    service or team scope counts it once per service or team (macros/scopes.sql). -#}
with

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

changes as (
    select * from {{ ref('int_merged_changes') }}
),

shipped as (
    select * from {{ ref('int_changes_shipped_per_service') }}
),

path_services as (
    select * from {{ ref('int_change_path_services') }}
),

services as (
    select * from {{ ref('int_services') }}
),

deployed_services as (
    -- the path services each deployment shipped a PR for, its own PR's even when it is the baseline
    select deployment_id, service from shipped
    where service is not null
    union
    select deployments.deployment_id, path_services.service
    from deployments
    inner join changes
        on deployments.method = changes.own_method
        and deployments.source_id = changes.source_id
    inner join path_services on changes.change_id = path_services.change_id
),

shipped_services as (
    select deployed_services.deployment_id, deployed_services.service
    from deployed_services
    inner join deployments on deployed_services.deployment_id = deployments.deployment_id
    where not deployments.is_service_named
),

counted as (
    select deployment_id, service from shipped_services
    union all
    select deployment_id, service from deployments
    where not exists (select 1 from shipped_services where shipped_services.deployment_id = deployments.deployment_id)
),

service_teams as (
    select distinct service, service_team as team
    from services
),

final as (
    select
        counted.deployment_id,
        counted.service,
        coalesce(service_teams.team, deployments.team) as team
    from counted
    inner join deployments on counted.deployment_id = deployments.deployment_id
    left join service_teams on counted.service = service_teams.service
)

select * from final
