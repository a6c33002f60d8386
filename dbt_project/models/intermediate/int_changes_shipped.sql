{#- Which deployment shipped each merged change (a GitHub PR or GitLab MR), one row per shipped
    change, for the org: int_changes_shipped_per_service gives a PR without path services its one
    deployment (the plain rule); a PR with several path services counts once, at the first
    deployment that shipped it for one of them (the earliest; the deployment id breaks a tie). -#}
with

per_service as (
    select * from {{ ref('int_changes_shipped_per_service') }}
),

path_shipments as (
    select
        *,
        row_number() over (partition by change_id order by deployed_at, deployment_id) as shipping_order
    from per_service
    where service is not null
),

final as (
    select change_id, deployment_id, deployed_at, shipped_by_reason
    from per_service
    where service is null
    union all
    select change_id, deployment_id, deployed_at, shipped_by_reason
    from path_shipments
    where shipping_order = 1
)

select * from final
