with

source as (
    select * from {{ source_or_empty('raw_pagerduty', 'incidents') }}
),

renamed as (
    select
        id as pagerduty_incident_id,
        incident_number,
        title,
        status,
        urgency,
        priority,
        service_id,
        service_name,
        {{ json_string_list('teams') }} as teams,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('resolved_at') }} as resolved_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('last_status_change_at') }} as last_status_change_at,
        html_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
