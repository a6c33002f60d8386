{#- One row per status of a GitHub deployment, from the raw deployments' `statuses` list (like the
    child table dlt would make of it). A row loaded before the list was extracted has none. -#}
with

source as (
    select * from {{ source_or_empty('raw_github', 'deployments') }}
),

renamed as (
    select
        source.id as github_deployment_id,
        status.element ->> 'state' as state,
        {{ utc_timestamp("cast(status.element ->> 'created_at' as timestamp with time zone)") }} as created_at,
        status.element ->> 'log_url' as log_url,
        {{ load_order('source._dlt_load_id') }} as loaded_at
    from source
    {{ join_json_list('source.statuses', 'status') }}
)

select * from renamed
