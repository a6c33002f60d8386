with

source as (
    select * from {{ source_or_empty('raw_jira', 'issues') }}
),

renamed as (
    select
        id as jira_issue_id,
        key as issue_key,
        project,
        summary,
        issue_type,
        status,
        status_category,
        priority,
        {{ json_string_list('labels') }} as labels,
        {{ json_string_list('components') }} as components,
        {{ utc_timestamp('created') }} as created_at,
        {{ utc_timestamp('updated') }} as updated_at,
        {{ utc_timestamp('resolutiondate') }} as resolutiondate,
        {{ utc_timestamp('status_category_changed_at') }} as status_category_changed_at,
        -- a workflow can reach Done without setting a resolution: then the time the status
        -- category became done is the resolution
        coalesce(
            {{ utc_timestamp('resolutiondate') }},
            case when status_category = 'done' then {{ utc_timestamp('status_category_changed_at') }} end
        ) as resolved_at,
        url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
