{{ config(unique_key='merge_request_id') }}

{#- Every merged GitLab merge request ever seen, kept after it disappears at the source, so lead
    times of past changes stay computable (the GitLab twin of pull_request_history). -#}
with

merge_requests as (
    select * from {{ ref('stg_gitlab__merge_requests') }}
),

merged as (
    select
        merge_request_id,
        project_id,
        project,
        mr_iid,
        title,
        author,
        labels,
        target_branch,
        source_branch,
        first_commit_at,
        opened_at,
        merged_at,
        merge_commit_sha,
        squash_commit_sha,
        url,
        loaded_at
    from merge_requests
    where merged_at is not null
    {% if is_incremental() %}
      and loaded_at > {{ stored_load_watermark() }}
    {% endif %}
)

select * from merged
