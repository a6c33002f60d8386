{#- Every source record that some deployment definition could match, one shape for all methods
    (GitHub, custom, GitLab, Jira).
    The method's hard rules live here (what never counts, whatever the definitions say); the
    user's filters are applied in int_deployment_candidates_matched. -#}
with

pull_requests as (
    select * from {{ ref('stg_github__pull_requests') }}
),

workflow_runs as (
    select * from {{ ref('stg_github__workflow_runs') }}
),

releases as (
    select * from {{ ref('stg_github__releases') }}
),

github_deployments as (
    select * from {{ ref('stg_github__deployments') }}
),

custom_deployments as (
    select * from {{ ref('stg_custom__deployments') }}
),

gitlab_merge_requests as (
    select * from {{ ref('stg_gitlab__merge_requests') }}
),

gitlab_pipelines as (
    select * from {{ ref('stg_gitlab__pipelines') }}
),

gitlab_deployments as (
    select * from {{ ref('stg_gitlab__deployments') }}
),

jira_issues as (
    select * from {{ ref('stg_jira__issues') }}
),

jira_status_changes as (
    select * from {{ ref('stg_jira__status_changes') }}
),

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

merged_pull_requests as (
    -- deployed when merged
    select
        'merged_pr' as method,
        cast(pull_request_id as varchar) as source_id,
        repository,
        repository_id,
        base_ref as branch,
        labels,
        author,
        title,
        null as workflow,
        null as event,
        null as conclusion,
        null as tag,
        null as environment,
        null as state,
        null as service,
        merge_commit_sha as commit_sha,
        merged_at as deployed_at,
        url,
        loaded_at
    from pull_requests
    where merged_at is not null
),

completed_workflow_runs as (
    -- deployed when the run completed; a re-run keeps the run's id, so it counts once
    select
        'workflow_run' as method,
        cast(workflow_run_id as varchar) as source_id,
        repository,
        repository_id,
        head_branch as branch,
        null as labels,
        actor as author,
        null as title,
        workflow_name as workflow,
        event,
        conclusion,
        null as tag,
        null as environment,
        null as state,
        null as service,
        head_sha as commit_sha,
        updated_at as deployed_at,
        url,
        loaded_at
    from workflow_runs
    where status = 'completed'
),

published_releases as (
    -- drafts and prereleases never count; target_commitish is a branch or a commit sha
    select
        'release' as method,
        cast(release_id as varchar) as source_id,
        repository,
        repository_id,
        {{ branch_of_ref('target_commitish') }} as branch,
        null as labels,
        author,
        release_name as title,
        null as workflow,
        null as event,
        null as conclusion,
        tag_name as tag,
        null as environment,
        null as state,
        null as service,
        case when {{ is_commit_sha('target_commitish') }} then target_commitish end as commit_sha,
        published_at as deployed_at,
        url,
        loaded_at
    from releases
    where not coalesce(is_draft, false)
      and not coalesce(is_prerelease, false)
      and published_at is not null
),

deployment_statuses as (
    -- deployed at the time of its latest status; `ref` is a branch, a tag or a sha
    select
        'github_deployment' as method,
        cast(github_deployment_id as varchar) as source_id,
        repository,
        repository_id,
        {{ branch_of_ref('ref') }} as branch,
        null as labels,
        creator as author,
        null as title,
        null as workflow,
        null as event,
        null as conclusion,
        null as tag,
        environment,
        latest_status_state as state,
        null as service,
        commit_sha,
        latest_status_at as deployed_at,
        latest_status_log_url as url,
        loaded_at
    from github_deployments
    where latest_status_at is not null
),

recorded_deployments as (
    select
        'custom' as method,
        custom_deployment_id as source_id,
        repository,
        null as branch,
        null as labels,
        null as author,
        null as title,
        null as workflow,
        null as event,
        null as conclusion,
        null as tag,
        environment,
        null as state,
        service,
        commit_sha,
        deployed_at,
        url,
        loaded_at
    from custom_deployments
    where deployed_at is not null
),

merged_merge_requests as (
    -- GitLab's merged_pr: deployed when merged; a squash merge may leave no merge commit
    select
        'gitlab_merged_mr' as method,
        cast(merge_request_id as varchar) as source_id,
        project as repository,
        target_branch as branch,
        labels,
        author,
        title,
        coalesce(merge_commit_sha, squash_commit_sha) as commit_sha,
        merged_at as deployed_at,
        url,
        loaded_at
    from gitlab_merge_requests
    where merged_at is not null
),

finished_pipelines as (
    -- deployed when finished; GitLab keeps a retried pipeline's id (counts once), already counts
    -- allow_failure jobs as passed in the pipeline status, and a child (parent_pipeline) or
    -- multi-project downstream (pipeline) pipeline belongs to the pipeline that triggered it
    select
        'gitlab_pipeline' as method,
        cast(pipeline_id as varchar) as source_id,
        project as repository,
        ref as branch,
        triggered_by as author,
        pipeline_name as workflow,
        trigger_source as event,
        status as conclusion,
        commit_sha,
        finished_at as deployed_at,
        url,
        loaded_at
    from gitlab_pipelines
    where status in ('success', 'failed', 'canceled', 'skipped')
      and finished_at is not null
      and trigger_source not in ('parent_pipeline', 'pipeline')
),

finished_gitlab_deployments as (
    -- deployed when the deploy job finished
    select
        'gitlab_deployment' as method,
        cast(gitlab_deployment_id as varchar) as source_id,
        project as repository,
        ref as branch,
        deployed_by as author,
        environment,
        status as state,
        commit_sha,
        coalesce(finished_at, updated_at) as deployed_at,
        url,
        loaded_at
    from gitlab_deployments
    where status in ('success', 'failed', 'canceled')
),

jira_resolutions as (
    -- an issue deployed when resolved: `status` is '<resolution>' (the method's default)
    select
        'jira_issue' as method,
        cast(jira_issue_id as varchar) as source_id,
        labels,
        summary as title,
        project,
        issue_type,
        '<resolution>' as status,
        components,
        coalesce(resolutiondate, case when status_category = 'done' then status_category_changed_at end)
            as deployed_at,
        url,
        loaded_at
    from jira_issues
    where coalesce(resolutiondate, case when status_category = 'done' then status_category_changed_at end)
        is not null
),

jira_status_entries as (
    -- an issue deployed when it first entered a status: one candidate per status it entered
    select
        'jira_issue' as method,
        cast(jira_issues.jira_issue_id as varchar) || ':' || entered.to_status as source_id,
        jira_issues.labels,
        jira_issues.summary as title,
        jira_issues.project,
        jira_issues.issue_type,
        entered.to_status as status,
        jira_issues.components,
        entered.entered_at as deployed_at,
        jira_issues.url,
        greatest(jira_issues.loaded_at, entered.loaded_at) as loaded_at
    from jira_issues
    inner join (
        select jira_issue_id, to_status, min(changed_at) as entered_at, max(loaded_at) as loaded_at
        from jira_status_changes
        group by jira_issue_id, to_status
    ) as entered
        on jira_issues.jira_issue_id = entered.jira_issue_id
),

unioned as (
    select * from merged_pull_requests
    union all by name select * from completed_workflow_runs
    union all by name select * from published_releases
    union all by name select * from deployment_statuses
    union all by name select * from recorded_deployments
    union all by name select * from merged_merge_requests
    union all by name select * from finished_pipelines
    union all by name select * from finished_gitlab_deployments
    union all by name select * from jira_resolutions
    union all by name select * from jira_status_entries
),

final as (
    -- a GitHub record takes its repository's current name (renamed or transferred: same id)
    select
        unioned.method || ':' || unioned.source_id as candidate_id,
        unioned.method,
        unioned.source_id,
        coalesce(repository_names.repository, unioned.repository) as repository,
        cast(unioned.repository_id as bigint) as repository_id,
        branch,
        cast(labels as varchar[]) as labels,
        author,
        title,
        cast(workflow as varchar) as workflow,
        cast(event as varchar) as event,
        cast(conclusion as varchar) as conclusion,
        cast(tag as varchar) as tag,
        cast(environment as varchar) as environment,
        cast(state as varchar) as state,
        cast(service as varchar) as service,
        cast(project as varchar) as project,
        cast(issue_type as varchar) as issue_type,
        cast(status as varchar) as status,
        cast(components as varchar[]) as components,
        commit_sha,
        deployed_at,
        url,
        loaded_at
    from unioned
    left join repository_names on unioned.repository_id = repository_names.repository_id
)

select * from final
