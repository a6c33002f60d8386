{#- One row per status of a GitHub deployment, from the raw deployments' `statuses` list (like the
    child table dlt would make of it). A row loaded before the list was extracted has none. -#}
with

source as (
    select * from {{ source_or_empty('raw_github', 'deployments') }}
),

listed as (
    select
        id,
        {{ json_list('statuses') }} as status_list,
        _dlt_load_id
    from source
),

statuses as (
    select
        id,
        {{ list_elements('status_list') }} as status,
        _dlt_load_id
    from listed
),

renamed as (
    select
        id as github_deployment_id,
        status ->> 'state' as state,
        {{ utc_timestamp("cast(status ->> 'created_at' as timestamp with time zone)") }} as created_at,
        status ->> 'log_url' as log_url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from statuses
)

select * from renamed
