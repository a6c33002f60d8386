{{ config(materialized='incremental', unique_key='change_id', incremental_strategy='delete+insert',
          on_schema_change='sync_all_columns') }}

{#- Which deployment shipped each merged change, a GitHub pull request or a GitLab merge request
    (int_merged_changes; "PR" below means either), for each service it belongs to by its paths
    (int_change_path_services): one row per (PR, path service), or per PR with service null for a
    PR without path services; deployment_id null while nothing shipped it.

    - A merged_pr (gitlab_merged_mr) deployment ships exactly its own PR (MR), for all its services.
    - Any other PR goes to the first deployment of int_shipping_frontier for its scope (repository,
      base branch, service) whose cut-off is at or after its merge, found by an ASOF join.
    - A repository's first deployment is the baseline (is_baseline): what it ships predates the
      history and is not a change.
    `shipped_by_reason` says which rule shipped it: 'merged by this deployment' (its own merge),
    'merge commit deployed' (the deployment deployed its merge or squash commit), 'merged before
    the deployed commit and not shipped earlier' (the cut-off is another PR's merge commit),
    'merged before the deployment and not shipped earlier' (no deployed merge commit is known).

    Incremental (issue 18): a build recomputes only the PRs whose shipment can have moved since the
    last one (macros/shipments_to_recompute.sql), and rewrites their rows (delete+insert by change);
    every row carries what the build that wrote it was made from. When the project, the deployment
    definitions or services.csv changed (`inputs_key`), it recomputes all. -#}

{%- set inputs_key = shipment_inputs_key() -%}
{%- set stored = stored_shipment_state(inputs_key) if is_incremental() else none -%}
with

deployments as (
    select * from {{ ref('int_deployment_cutoffs') }}
),

pull_requests as (
    select * from {{ ref('int_merged_changes') }}
),

path_services as (
    select * from {{ ref('int_change_path_services') }}
),

frontier as (
    select * from {{ ref('int_shipping_frontier') }}
),

change_keys as (
    -- what each PR is shipped for: each of its path services, or '' (any deployment) without one
    select
        pull_requests.change_id,
        coalesce(path_services.service, '') as service_key,
        pull_requests.change_id || '/' || coalesce(path_services.service, '') as shipping_id,
        pull_requests.own_method,
        pull_requests.source_id,
        pull_requests.repository,
        pull_requests.base_ref,
        pull_requests.merged_at,
        pull_requests.merge_commit_sha,
        pull_requests.squash_commit_sha
    from pull_requests
    left join path_services on pull_requests.change_id = path_services.change_id
),

{% if stored is not none %}
{{ shipments_to_recompute(stored) }},

recomputed_keys as (
    select * from change_keys
    where change_id in (select change_id from recomputed)
),
{% else %}
recomputed_keys as (
    select * from change_keys
),
{% endif %}

own_pull_requests as (
    select
        recomputed_keys.change_id,
        recomputed_keys.service_key,
        deployments.deployment_id,
        deployments.deployed_at,
        deployments.is_baseline,
        'merged by this deployment' as shipped_by_reason
    from deployments
    inner join recomputed_keys
        on deployments.method = recomputed_keys.own_method
        and deployments.source_id = recomputed_keys.source_id
),

unclaimed_pull_requests as (
    select * from recomputed_keys
    where not exists (select 1 from own_pull_requests where own_pull_requests.change_id = recomputed_keys.change_id)
),

claimed_pull_requests as (
    select
        unclaimed_pull_requests.change_id,
        unclaimed_pull_requests.service_key,
        frontier.deployment_id,
        frontier.deployed_at,
        frontier.is_baseline,
        case
            when frontier.commit_sha
                in (unclaimed_pull_requests.merge_commit_sha, unclaimed_pull_requests.squash_commit_sha)
                then 'merge commit deployed'
            when frontier.deployed_a_merge then 'merged before the deployed commit and not shipped earlier'
            else 'merged before the deployment and not shipped earlier'
        end as shipped_by_reason
    from {{ asof_join('unclaimed_pull_requests', 'shipping_id', 'frontier', ['repository', 'base_ref', 'service_key'], 'merged_at', '<=', 'cutoff') }}
),

shipped as (
    select * from own_pull_requests
    union all
    select * from claimed_pull_requests
),

baselines as (
    select repository, deployment_id from deployments where is_baseline
),

final as (
    select
        recomputed_keys.change_id,
        nullif(recomputed_keys.service_key, '') as service,
        recomputed_keys.repository,
        shipped.deployment_id,
        shipped.deployed_at,
        coalesce(shipped.is_baseline, false) as is_baseline,
        shipped.shipped_by_reason,
        -- what this build was made from (macros/shipments_to_recompute.sql reads it back)
        baselines.deployment_id as baseline_deployment_id,
        '{{ inputs_key }}' as inputs_key,
        {{ shipment_watermarks() }}
    from recomputed_keys
    left join shipped
        on recomputed_keys.change_id = shipped.change_id
        and recomputed_keys.service_key = shipped.service_key
    left join baselines on recomputed_keys.repository = baselines.repository
)

select * from final
