{#- The shipped changes of int_change_shipments, one row per (change, path service) or per change
    with service null; baseline deployments and unshipped changes left out. -#}
with

shipments as (
    select * from {{ ref('int_change_shipments') }}
),

final as (
    select change_id, service, deployment_id, deployed_at, shipped_by_reason
    from shipments
    where deployment_id is not null and not is_baseline
)

select * from final
