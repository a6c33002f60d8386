with

source as (
    select * from {{ source_or_empty('raw_gitlab', 'jobs') }}
),

renamed as (
    select
        id as job_id,
        pipeline_id,
        project,
        name as job_name,
        stage,
        status,
        allow_failure,
        ref,
        sha as commit_sha,
        {{ utc_timestamp('started_at') }} as started_at,
        {{ utc_timestamp('finished_at') }} as finished_at,
        web_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
