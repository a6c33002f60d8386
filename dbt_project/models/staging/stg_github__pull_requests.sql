with

source as (
    select * from {{ source_or_empty('raw_github', 'pull_requests') }}
),

renamed as (
    select
        id as pull_request_id,
        repository_id,
        repository,
        number as pr_number,
        title,
        author,
        {{ json_string_list('labels') }} as labels,
        base_ref,
        head_ref,
        state,
        {{ utc_timestamp('created_at') }} as opened_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('closed_at') }} as closed_at,
        {{ utc_timestamp('merged_at') }} as merged_at,
        merge_commit_sha,
        {{ utc_timestamp('first_commit_at') }} as first_commit_at,
        html_url as url,
        {{ json_string_list('files') }} as files,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
