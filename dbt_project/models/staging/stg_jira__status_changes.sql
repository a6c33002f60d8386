with

source as (
    select * from {{ source_or_empty('raw_jira', 'status_changes') }}
),

renamed as (
    select
        id as status_change_id,
        issue_id as jira_issue_id,
        from_status,
        to_status,
        {{ utc_timestamp('changed_at') }} as changed_at,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
