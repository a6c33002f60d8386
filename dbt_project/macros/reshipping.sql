{#- What an incremental build of int_change_shipments recomputes, and what the changes mart
    recomputes after it (the marks: build_marks.sql, shipment_marks.sql). -#}

{#- CTEs ending in `reshipped` (change_id): the PRs whose shipment new data can change, for
    int_change_shipments (its CTEs `pull_requests`, int_merged_changes, `deployments`,
    int_deployments_mapped, and `baselines`). A PR's shipment depends on its own row and on the
    deployments of its repository: the frontier of cut-offs up to the one that ships it. So a
    build recomputes
    - the PRs loaded since the last build (of repositories with deployments);
    - every PR of a repository whose baseline (first deployment) changed;
    - the PRs a changed deployment shipped (evaluated since: new, re-run, relabelled, no longer
      counting; or its cut-off moved by a PR loaded since), and in its repository those shipped
      by any deployment from the earliest changed one on, and those not shipped yet: a deployment
      takes PRs from later ones only, so what earlier deployments shipped stays. -#}
{% macro changes_to_reship(marks) %}
changed_changes as (
    select change_id, repository, merge_commit_sha, squash_commit_sha
    from pull_requests
    where (own_method = 'merged_pr' and {{ newer_than(marks, 'pull_request_history', 'loaded_at') }})
        or (own_method = 'gitlab_merged_mr' and {{ newer_than(marks, 'merge_request_history', 'loaded_at') }})
),

changed_commits as (
    select repository, merge_commit_sha as commit_sha from changed_changes
    where merge_commit_sha is not null
    union all
    select repository, squash_commit_sha from changed_changes
    where squash_commit_sha is not null
),

changed_deployments as (
    select
        history.candidate_id as deployment_id,
        coalesce(repository_names.repository, history.repository) as repository,
        history.deployed_at
    from {{ ref('deployment_history') }} as history
    left join {{ ref('int_repository_names') }} as repository_names
        on history.repository_id = repository_names.repository_id
    where {{ history_loaded_since(marks, 'history') }}
    union all
    select deployments.deployment_id, deployments.repository, deployments.deployed_at
    from deployments
    inner join changed_commits
        on deployments.repository = changed_commits.repository
        and deployments.commit_sha = changed_commits.commit_sha
),

stored_baselines as (
    select part as repository, value as deployment_id
    from {{ marks_relation() }}
    where mark = 'baseline'
),

rebased_repositories as (
    select coalesce(baselines.repository, stored_baselines.repository) as repository
    from baselines
    full outer join stored_baselines on baselines.repository = stored_baselines.repository
    where baselines.deployment_id is distinct from stored_baselines.deployment_id
),

changed_since as (
    select repository, min(deployed_at) as deployed_at
    from changed_deployments
    where repository is not null
    group by repository
),

reshipped as (
    select change_id from changed_changes
    where repository in (select deployments.repository from deployments)
    union
    select change_id from pull_requests
    where repository in (select repository from rebased_repositories)
    union
    select stored.change_id from {{ this }} as stored
    where stored.deployment_id in (select deployment_id from changed_deployments)
    union
    select stored.change_id from {{ this }} as stored
    inner join changed_since on stored.repository = changed_since.repository
    where stored.deployed_at >= changed_since.deployed_at or stored.deployment_id is null
)
{% endmacro %}

{#- For a model kept in step with int_change_shipments (the changes mart), given its marks: a
    condition on `column` (a change_id) that holds for the changes whose shipments were rewritten
    since its last build; none without marks (recompute every change). -#}
{% macro changes_reshipped_since(marks, column) -%}
    {%- if marks is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ column }} in (select change_id from {{ ref('int_change_shipments') }}
                     where {{ newer_than(marks, 'int_change_shipments', 'built_at', type=dbt.type_timestamp()) }})
{%- endmacro %}

{#- The watermark of the shipments a model kept in step with them read, as a (mark, part, value) row. -#}
{% macro shipments_seen() %}
select 'int_change_shipments' as mark, '' as part, cast(max(built_at) as varchar) as value
from {{ ref('int_change_shipments') }}
{% endmacro %}
