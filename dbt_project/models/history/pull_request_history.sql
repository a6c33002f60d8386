{{ config(unique_key='pull_request_id') }}

{#- Every merged pull request ever seen, kept after it disappears at the source, so lead times of
    past changes stay computable. An ordinary run reads only rows of newer dlt loads. -#}
with

pull_requests as (
    select * from {{ ref('stg_github__pull_requests') }}
),

merged as (
    select
        pull_request_id,
        repository_id,
        repository,
        pr_number,
        title,
        author,
        labels,
        base_ref,
        head_ref,
        first_commit_at,
        opened_at,
        merged_at,
        merge_commit_sha,
        url,
        files,
        loaded_at
    from pull_requests
    where merged_at is not null
    {% if is_incremental() %}
      and loaded_at > {{ stored_load_watermark() }}
    {% endif %}
)

select * from merged
