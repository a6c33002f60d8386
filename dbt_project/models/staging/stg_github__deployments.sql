with

source as (
    select * from {{ source_or_empty('raw_github', 'deployments') }}
),

renamed as (
    select
        id as github_deployment_id,
        repository_id,
        repository,
        sha as commit_sha,
        ref,
        task,
        environment,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        creator,
        latest_status_state,
        {{ utc_timestamp('latest_status_at') }} as latest_status_at,
        latest_status_log_url,
        -- oldest first; null on rows loaded before the history was extracted
        list_transform(
            from_json(statuses, '[{"state": "varchar", "created_at": "timestamptz", "log_url": "varchar"}]'),
            lambda status: struct_pack(
                state := status.state,
                created_at := {{ utc_timestamp('status.created_at') }},
                log_url := status.log_url
            )
        ) as status_history,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
