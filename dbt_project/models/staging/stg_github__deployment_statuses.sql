{#- One row per status of a GitHub deployment, from the raw deployments' `statuses` list (like the
    child table dlt would make of it). A row loaded before the list was extracted has none. -#}
with

source as (
    select * from {{ source_or_empty('raw_github', 'deployments') }}
),

deployments as (
    -- the load order taken before the join: a filter on it outside this model (history's newest
    -- load) then reaches the deployments before DuckDB unnests their lists (300,416 deployments:
    -- the incremental deployment_history query 3.6 s -> 2.2 s)
    select
        id,
        statuses,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
),

renamed as (
    select
        deployments.id as github_deployment_id,
        status.element ->> 'state' as state,
        {{ utc_timestamp("cast(status.element ->> 'created_at' as timestamp with time zone)") }} as created_at,
        status.element ->> 'log_url' as log_url,
        deployments.loaded_at
    from deployments
    {{ join_json_list('deployments.statuses', 'status') }}
)

select * from renamed
