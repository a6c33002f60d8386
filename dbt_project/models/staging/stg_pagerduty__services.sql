with

source as (
    select * from {{ source_or_empty('raw_pagerduty', 'services') }}
),

renamed as (
    select
        id as pagerduty_service_id,
        name as service_name,
        description,
        status,
        {{ json_string_list('teams') }} as teams,
        {{ utc_timestamp('created_at') }} as created_at,
        html_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
