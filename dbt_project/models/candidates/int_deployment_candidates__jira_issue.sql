{#- jira_issue: an issue deployed when resolved (`status` '<resolution>', the method's default;
    stg_jira__issues.resolved_at), and one candidate per status it entered, deployed when it first
    entered that status. -#}
with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

status_changes as (
    select * from {{ ref('stg_jira__status_changes') }}
),

resolutions as (
    select
        {{ candidate_columns('deployment', {
            'method': "'jira_issue'",
            'source_id': 'cast(jira_issue_id as varchar)',
            'labels': 'labels',
            'title': 'summary',
            'project': 'project',
            'issue_type': 'issue_type',
            'status': "'<resolution>'",
            'components': 'components',
            'deployed_at': 'resolved_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from issues
    where resolved_at is not null
),

entered_statuses as (
    select jira_issue_id, to_status, min(changed_at) as entered_at, max(loaded_at) as loaded_at
    from status_changes
    group by jira_issue_id, to_status
),

status_entries as (
    select
        {{ candidate_columns('deployment', {
            'method': "'jira_issue'",
            'source_id': "cast(issues.jira_issue_id as varchar) || ':' || entered_statuses.to_status",
            'labels': 'issues.labels',
            'title': 'issues.summary',
            'project': 'issues.project',
            'issue_type': 'issues.issue_type',
            'status': 'entered_statuses.to_status',
            'components': 'issues.components',
            'deployed_at': 'entered_statuses.entered_at',
            'url': 'issues.url',
            'loaded_at': 'greatest(issues.loaded_at, entered_statuses.loaded_at)',
        }) }}
    from issues
    inner join entered_statuses on issues.jira_issue_id = entered_statuses.jira_issue_id
),

final as (
    select * from resolutions
    union all
    select * from status_entries
)

select * from final
