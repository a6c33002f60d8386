{#- revert: a merged revert pull request (macros/reverts.sql) says that the pull request it reverts
    failed in production. One incident per merged revert, created when the revert was opened (the
    failure was known then), linked by `linked_change_id` to the reverted pull request. Which
    deployment shipped it, and when the revert was deployed (the incident's resolution), is known
    only after history: int_revert_outcomes. Loaded with the later of the two pull requests, so a
    reverted pull request that arrives after its revert re-evaluates the link. -#}
with

pull_requests as not materialized (
    -- each reader scans the staging view itself, with its own filter and columns
    select * from {{ ref('stg_github__pull_requests') }}
),

merged as not materialized (
    select * from pull_requests
    where merged_at is not null
),

reverts as materialized (
    -- computed once for its three readers: inlined, the staging PRs under it were materialized
    -- whole instead (every merged PR's columns, spilled; 3.7 s -> 1.7 s at 3 M PRs)
    select
        *,
        {{ reverted_number('title', 'head_ref') }} as reverted_number,
        {{ reverted_title('title') }} as reverted_title
    from merged
    where {{ is_revert('title', 'head_ref') }}
),

reverted_by_number as (
    select
        reverts.pull_request_id,
        merged.pull_request_id as reverted_id,
        merged.loaded_at as reverted_loaded_at
    from reverts
    inner join merged
        on reverts.repository_id = merged.repository_id
        and reverts.reverted_number = merged.pr_number
),

same_titles as (
    -- a revert naming no number: the merged pull requests with exactly its quoted title, latest first
    select
        reverts.pull_request_id,
        merged.pull_request_id as reverted_id,
        merged.loaded_at as reverted_loaded_at,
        row_number() over (
            partition by reverts.pull_request_id order by merged.merged_at desc, merged.pull_request_id desc
        ) as recency
    from reverts
    inner join merged
        on reverts.repository_id = merged.repository_id
        and reverts.reverted_title = merged.title
    where reverts.reverted_number is null
        and merged.merged_at <= reverts.opened_at
),

reverted as (
    select pull_request_id, reverted_id, reverted_loaded_at from reverted_by_number
    union all
    select pull_request_id, reverted_id, reverted_loaded_at from same_titles
    where recency = 1
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'revert'",
            'source_id': 'cast(reverts.pull_request_id as varchar)',
            'repository': 'reverts.repository',
            'repository_id': 'reverts.repository_id',
            'title': 'reverts.title',
            'labels': 'reverts.labels',
            'created_at': 'reverts.opened_at',
            'linked_change_id': 'cast(reverted.reverted_id as varchar)',
            'url': 'reverts.url',
            'loaded_at': 'greatest(reverts.loaded_at, coalesce(reverted.reverted_loaded_at, reverts.loaded_at))',
        }) }}
    from reverts
    left join reverted on reverts.pull_request_id = reverted.pull_request_id
)

select * from final
