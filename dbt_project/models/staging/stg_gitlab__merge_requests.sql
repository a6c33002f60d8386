with

source as (
    select * from {{ source_or_empty('raw_gitlab', 'merge_requests') }}
),

renamed as (
    select
        id as merge_request_id,
        project_id,
        project,
        iid as mr_iid,
        title,
        author,
        {{ json_string_list('labels') }} as labels,
        source_branch,
        target_branch,
        state,
        {{ utc_timestamp('created_at') }} as opened_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('merged_at') }} as merged_at,
        merge_commit_sha,
        squash_commit_sha,
        {{ utc_timestamp('first_commit_at') }} as first_commit_at,
        web_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
