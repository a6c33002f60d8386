with

source as (
    select * from {{ source_or_empty('raw_github', 'workflow_runs') }}
),

renamed as (
    select
        id as workflow_run_id,
        repository_id,
        repository,
        workflow_id,
        workflow_name,
        head_branch,
        head_sha,
        event,
        status,
        conclusion,
        run_attempt,
        {{ utc_timestamp('run_started_at') }} as run_started_at,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        actor,
        html_url as url,
        {{ load_order('_dlt_load_id') }} as loaded_at
    from source
)

select * from renamed
