with

source as (
    select * from {{ source_or_empty('raw_gitlab', 'deployments') }}
),

renamed as (
    select
        id as gitlab_deployment_id,
        project,
        iid as deployment_iid,
        environment,
        status,
        sha as commit_sha,
        ref,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('finished_at') }} as finished_at,
        "user" as deployed_by,
        web_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
