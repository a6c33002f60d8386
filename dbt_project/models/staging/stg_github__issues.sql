with

source as (
    select * from {{ source_or_empty('raw_github', 'issues') }}
),

renamed as (
    select
        id as issue_id,
        repository_id,
        repository,
        number as issue_number,
        title,
        author,
        {{ json_string_list('labels') }} as labels,
        state,
        state_reason,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ utc_timestamp('closed_at') }} as closed_at,
        html_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
