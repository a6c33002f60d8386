{#- Every merged change ever seen, GitHub pull requests and GitLab merge requests in one shape,
    so int_changes_shipped and the changes mart apply the same rules to both.
    `change_id` is the PR's databaseId as text, or 'gitlab:<MR id>'; `own_method` is the
    deployment method under which the change is itself a deployment; `is_revert` says whether it
    reverts another change (macros/reverts.sql). -#}
with

pull_requests as (
    select * from {{ ref('pull_request_history') }}
),

merge_requests as (
    select * from {{ ref('merge_request_history') }}
),

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

github_changes as (
    select
        cast(pull_request_id as varchar) as change_id,
        'merged_pr' as own_method,
        cast(pull_request_id as varchar) as source_id,
        -- stored under the name of its time: shown under the repository's current name
        coalesce(repository_names.repository, pull_requests.repository) as repository,
        pr_number,
        title,
        author,
        base_ref,
        head_ref,
        labels,
        {{ is_revert('title', 'head_ref') }} as is_revert,
        url,
        first_commit_at,
        opened_at,
        merged_at,
        merge_commit_sha,
        cast(null as varchar) as squash_commit_sha,
        files,
        loaded_at
    from pull_requests
    left join repository_names on pull_requests.repository_id = repository_names.repository_id
),

gitlab_changes as (
    select
        'gitlab:' || merge_request_id as change_id,
        'gitlab_merged_mr' as own_method,
        cast(merge_request_id as varchar) as source_id,
        project as repository,
        mr_iid as pr_number,
        title,
        author,
        target_branch as base_ref,
        source_branch as head_ref,
        labels,
        {{ is_revert('title', 'source_branch') }} as is_revert,
        url,
        first_commit_at,
        opened_at,
        merged_at,
        merge_commit_sha,
        squash_commit_sha,
        cast(null as {{ string_list_type() }}) as files,
        loaded_at
    from merge_requests
)

select * from github_changes
union all
select * from gitlab_changes
