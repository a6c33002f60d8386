{#- Which deployment shipped each merged change (a GitHub PR or GitLab MR) for each service it
    belongs to by its paths, or for the org (service null): int_change_shipments without the
    changes no deployment shipped yet and those the baseline shipped (they predate the history). -#}
with

shipments as (
    select * from {{ ref('int_change_shipments') }}
),

final as (
    select change_id, service, deployment_id, deployed_at, shipped_by_reason
    from shipments
    where deployment_id is not null
        and not is_baseline
)

select * from final
