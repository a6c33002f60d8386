{#- github_issue: every GitHub issue (pull requests were left out at extraction), created -> closed;
    a reopened issue is open again (GitHub clears its closed_at). -#}
with

issues as (
    select * from {{ ref('stg_github__issues') }}
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'github_issue'",
            'source_id': 'cast(issue_id as varchar)',
            'repository': 'repository',
            'repository_id': 'repository_id',
            'title': 'title',
            'labels': 'labels',
            'created_at': 'created_at',
            'resolved_at': 'closed_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from issues
)

select * from final
