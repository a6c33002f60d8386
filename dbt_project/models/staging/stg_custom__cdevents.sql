with

source as (
    select * from {{ source_or_empty('raw_custom', 'cdevents') }}
),

renamed as (
    select
        id as cdevent_id,
        source as event_source,
        event_id,
        type as event_type,
        spec_version,
        predicate,
        subject_id,
        service,
        environment,
        {{ utc_timestamp('occurred_at') }} as occurred_at,
        commit_sha,
        repository,
        incident_id as cdevents_incident_id,
        title,
        url,
        event,
        {{ utc_timestamp('received_at') }} as received_at,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
