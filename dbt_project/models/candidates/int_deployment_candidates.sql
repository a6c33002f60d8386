{#- Every source record that some deployment definition could match, one shape for all methods:
    the union of one model per method (int_deployment_candidates__<method>, where each method's
    hard rules live: what never counts, whatever the definitions say). The user's filters are
    applied in history (macros/durable_history.sql).
    A GitHub record takes its repository's current name (renamed or transferred: same id). -#}
with

unioned as (
    select * from {{ ref('int_deployment_candidates__merged_pr') }}
    union all
    select * from {{ ref('int_deployment_candidates__workflow_run') }}
    union all
    select * from {{ ref('int_deployment_candidates__release') }}
    union all
    select * from {{ ref('int_deployment_candidates__github_deployment') }}
    union all
    select * from {{ ref('int_deployment_candidates__custom') }}
    union all
    select * from {{ ref('int_deployment_candidates__gitlab_merged_mr') }}
    union all
    select * from {{ ref('int_deployment_candidates__gitlab_pipeline') }}
    union all
    select * from {{ ref('int_deployment_candidates__gitlab_deployment') }}
    union all
    select * from {{ ref('int_deployment_candidates__jira_issue') }}
),

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

final as (
    select
        unioned.method || ':' || unioned.source_id as candidate_id,
        unioned.method,
        unioned.source_id,
        coalesce(repository_names.repository, unioned.repository) as repository,
        unioned.repository_id,
        unioned.branch,
        unioned.labels,
        unioned.author,
        unioned.title,
        unioned.workflow,
        unioned.event,
        unioned.conclusion,
        unioned.tag,
        unioned.environment,
        unioned.state,
        unioned.service,
        unioned.project,
        unioned.issue_type,
        unioned.status,
        unioned.components,
        unioned.files,
        unioned.commit_sha,
        unioned.deployed_at,
        unioned.url,
        unioned.loaded_at
    from unioned
    left join repository_names on unioned.repository_id = repository_names.repository_id
)

select * from final
