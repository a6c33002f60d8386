{#- The events of deployment candidates, one row per candidate and event: what history matches a
    definition's `state` against, one event at a time (macros/durable_history.sql, event_filter).
    A candidate counts at the earliest event its definition names; one without events is matched
    on its own `state`. Only GitHub deployments have events: their statuses, since GitHub adds
    `inactive` to a deployment once a newer one succeeds. -#}
with

github_deployment_statuses as (
    select * from {{ ref('stg_github__deployment_statuses') }}
),

final as (
    select
        'github_deployment:' || cast(github_deployment_id as varchar) as candidate_id,
        cast('github_deployment' as varchar) as method,
        created_at as occurred_at,
        state as value,
        log_url as url,
        loaded_at
    from github_deployment_statuses
)

select * from final
