{#- jira_issue: every issue of the configured JQL, created -> resolved (stg_jira__issues.resolved_at). -#}
with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'jira_issue'",
            'source_id': 'cast(jira_issue_id as varchar)',
            'priority': 'priority',
            'title': 'summary',
            'project': 'project',
            'issue_type': 'issue_type',
            'labels': 'labels',
            'components': 'components',
            'created_at': 'created_at',
            'resolved_at': 'resolved_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from issues
)

select * from final
