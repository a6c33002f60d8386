with

source as (
    select * from {{ source_or_empty('raw_gitlab', 'pipelines') }}
),

renamed as (
    select
        id as pipeline_id,
        project_id,
        project,
        iid as pipeline_iid,
        name as pipeline_name,
        ref,
        sha as commit_sha,
        source as trigger_source,
        status,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('started_at') }} as started_at,
        {{ utc_timestamp('finished_at') }} as finished_at,
        "user" as triggered_by,
        web_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
