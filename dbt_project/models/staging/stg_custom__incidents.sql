with

source as (
    select * from {{ source_or_empty('raw_custom', 'incidents') }}
),

renamed as (
    select
        id as custom_incident_id,
        service,
        title,
        urgency,
        priority,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('resolved_at') }} as resolved_at,
        deployment_id,
        commit_sha,
        url,
        {{ utc_timestamp('received_at') }} as received_at,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
