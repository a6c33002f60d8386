with

source as (
    select * from {{ source_or_empty('raw_custom', 'deployments') }}
),

renamed as (
    select
        id as custom_deployment_id,
        service,
        environment,
        commit_sha,
        repository,
        {{ utc_timestamp('deployed_at') }} as deployed_at,
        url,
        {{ utc_timestamp('received_at') }} as received_at,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
