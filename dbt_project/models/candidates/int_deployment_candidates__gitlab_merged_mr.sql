{#- gitlab_merged_mr: GitLab's merged_pr, deployed when merged; a squash merge may leave no merge
    commit, then the squash commit is the one deployed. -#}
with

merge_requests as (
    select * from {{ ref('stg_gitlab__merge_requests') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'gitlab_merged_mr'",
            'source_id': 'cast(merge_request_id as varchar)',
            'repository': 'project',
            'branch': 'target_branch',
            'labels': 'labels',
            'author': 'author',
            'title': 'title',
            'commit_sha': 'coalesce(merge_commit_sha, squash_commit_sha)',
            'deployed_at': 'merged_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from merge_requests
    where merged_at is not null
)

select * from final
