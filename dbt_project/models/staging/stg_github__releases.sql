with

source as (
    select * from {{ source_or_empty('raw_github', 'releases') }}
),

renamed as (
    select
        id as release_id,
        repository_id,
        repository,
        tag_name,
        target_commitish,
        name as release_name,
        draft as is_draft,
        prerelease as is_prerelease,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('published_at') }} as published_at,
        author,
        html_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
