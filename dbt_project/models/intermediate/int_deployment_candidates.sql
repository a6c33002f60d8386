{#- Every source record that some deployment definition could match, one shape for all methods.
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

merged_pull_requests as (
    -- deployed when merged
    select
        'merged_pr' as method,
        cast(pull_request_id as varchar) as source_id,
        repository,
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
        case when not regexp_full_match(target_commitish, '[0-9a-f]{40}') then target_commitish end as branch,
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
        case when regexp_full_match(target_commitish, '[0-9a-f]{40}') then target_commitish end as commit_sha,
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
        case when not regexp_full_match(ref, '[0-9a-f]{40}') then ref end as branch,
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

unioned as (
    select * from merged_pull_requests
    union all by name select * from completed_workflow_runs
    union all by name select * from published_releases
    union all by name select * from deployment_statuses
    union all by name select * from recorded_deployments
),

final as (
    select
        method || ':' || source_id as candidate_id,
        method,
        source_id,
        repository,
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
        commit_sha,
        deployed_at,
        url,
        loaded_at
    from unioned
)

select * from final
