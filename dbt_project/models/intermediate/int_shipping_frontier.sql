{#- Per shipping scope (repository, PR base branch, service key: a path service, or '' for a PR
    without one), the deployments that ship what was merged up to their cut-off
    (int_deployment_cutoffs): of the deployments that count for the scope, in deployment order, those
    that raise the running maximum cut-off. A PR goes to the first of them whose cut-off is at or
    after its merge (int_change_shipments).
    - One without a branch, and the repository's baseline, cover every branch of the repository.
    - For a path service, the deployments whose definition names that service or names none, and the
      baseline; for '' (a PR without path services), every deployment.
    - merged_pr and gitlab_merged_mr deployments ship only their own change: never here, but for the
      baseline. -#}
with

deployments as (
    select * from {{ ref('int_deployment_cutoffs') }}
),

pull_requests as (
    select * from {{ ref('int_merged_changes') }}
),

path_services as (
    select * from {{ ref('int_change_path_services') }}
),

shipping_scopes as (
    select distinct
        pull_requests.repository,
        pull_requests.base_ref,
        coalesce(path_services.service, '') as service_key
    from pull_requests
    left join path_services on pull_requests.change_id = path_services.change_id
),

cutoff_deployments as (
    select
        deployments.*,
        shipping_scopes.base_ref,
        shipping_scopes.service_key
    from deployments
    inner join shipping_scopes
        on deployments.repository = shipping_scopes.repository
        and (deployments.branch = shipping_scopes.base_ref or deployments.branch is null or deployments.is_baseline)
        and (shipping_scopes.service_key = '' or not deployments.is_service_named
             or deployments.service = shipping_scopes.service_key or deployments.is_baseline)
    where deployments.method not in ('merged_pr', 'gitlab_merged_mr') or deployments.is_baseline
),

frontier as (
    select * from (
        select
            *,
            max(cutoff) over (
                partition by repository, base_ref, service_key order by deployed_at, deployment_id
                rows between unbounded preceding and 1 preceding
            ) as earlier_cutoff
        from cutoff_deployments
    ) as ordered_deployments
    where earlier_cutoff is null or cutoff > earlier_cutoff
)

select * from frontier
