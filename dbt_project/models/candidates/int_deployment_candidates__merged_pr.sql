{#- merged_pr: a pull request counts when merged, deployed at its merge (commit: the merge commit);
    its changed files (read only where dora.core.changed_files asks for them) for the `paths` filter. -#}
with

pull_requests as (
    select * from {{ ref('stg_github__pull_requests') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'merged_pr'",
            'source_id': 'cast(pull_request_id as varchar)',
            'repository': 'repository',
            'repository_id': 'repository_id',
            'branch': 'base_ref',
            'labels': 'labels',
            'author': 'author',
            'title': 'title',
            'files': 'files',
            'commit_sha': 'merge_commit_sha',
            'deployed_at': 'merged_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from pull_requests
    where merged_at is not null
)

select * from final
