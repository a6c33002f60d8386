{#- Which deployment shipped each merged change, a GitHub pull request or a GitLab merge request
    (int_merged_changes; "PR" below means either), for each service it belongs to by its paths
    (int_change_path_services): one row per (shipped change, path service), or one row with service
    null for a PR without path services.

    - A merged_pr (gitlab_merged_mr) deployment ships exactly its own PR (MR), for all its services.
    - Any other deployment ships the PRs of its repository (into its branch, when it has one) that
      no earlier deployment shipped and that were merged at or before its cut-off
      (int_deployment_cutoffs). For a path service, only the deployments that count for it do:
      one whose definition names that service (is_service_named), one naming none, and the
      repository's baseline; a PR without path services, by any deployment (the plain rule).
    - A repository's first deployment is the baseline: what it ships (everything merged up to it,
      any branch, any service) predates the history and is not a change.
    Per (repository, branch, service), a PR goes to the earliest deployment whose cut-off is at or
    after its merge: the deployments that raise the running maximum cut-off form a frontier, and an
    ASOF join (macros/adapters) finds the first frontier entry at or after each merge, in one pass.
    `shipped_by_reason` says which rule shipped it: 'merged by this deployment' (its own merge),
    'merge commit deployed' (the deployment deployed its merge or squash commit), 'merged before
    the deployed commit and not shipped earlier' (the cut-off is another PR's merge commit),
    'merged before the deployment and not shipped earlier' (no deployed merge commit is known). -#}
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

own_pull_requests as (
    select
        change_keys.change_id,
        change_keys.service_key,
        deployments.deployment_id,
        deployments.deployed_at,
        deployments.is_baseline,
        'merged by this deployment' as shipped_by_reason
    from deployments
    inner join change_keys
        on deployments.method = change_keys.own_method
        and deployments.source_id = change_keys.source_id
),

unclaimed_pull_requests as (
    -- only in a repository with deployments can another deployment ship a PR: the others' PRs stay
    -- out of the scopes and the ASOF join (bench scale 3, 20 of 100 repositories deployed: the
    -- query 6.5 s -> 3.8 s, the ASOF join 3.0 s -> 0.6 s)
    select * from change_keys
    where change_keys.repository in (select deployments.repository from deployments)
        and not exists (select 1 from own_pull_requests where own_pull_requests.change_id = change_keys.change_id)
),

shipping_scopes as materialized (
    -- each (repository, base branch, service) PRs ship in, numbered: the frontier and the ASOF join
    -- partition by one integer, not three strings (DuckDB's ASOF join at 3 M PRs: 5.8 s -> 3.5 s)
    select row_number() over (order by repository, base_ref, service_key) as scope_id, *
    from (select distinct repository, base_ref, service_key from unclaimed_pull_requests) as scopes
),

scoped_pull_requests as (
    select unclaimed_pull_requests.*, shipping_scopes.scope_id
    from unclaimed_pull_requests
    inner join shipping_scopes
        on unclaimed_pull_requests.repository = shipping_scopes.repository
        and unclaimed_pull_requests.base_ref = shipping_scopes.base_ref
        and unclaimed_pull_requests.service_key = shipping_scopes.service_key
),

cutoff_deployments as (
    -- the deployments that ship everything merged up to their cut-off, per PR base branch and
    -- service; one without a branch, and the baseline, cover every branch of the repository
    select
        deployments.*,
        shipping_scopes.base_ref,
        shipping_scopes.service_key,
        shipping_scopes.scope_id
    from deployments
    inner join shipping_scopes
        on deployments.repository = shipping_scopes.repository
        and (deployments.branch = shipping_scopes.base_ref or deployments.branch is null or deployments.is_baseline)
        and (shipping_scopes.service_key = '' or not deployments.is_service_named
             or deployments.service = shipping_scopes.service_key or deployments.is_baseline)
    where deployments.method not in ('merged_pr', 'gitlab_merged_mr') or deployments.is_baseline
),

frontier as (
    select * from (
        select
            *,
            max(cutoff) over (
                partition by scope_id order by deployed_at, deployment_id
                rows between unbounded preceding and 1 preceding
            ) as earlier_cutoff
        from cutoff_deployments
    ) as ordered_deployments
    where earlier_cutoff is null or cutoff > earlier_cutoff
),

claimed_pull_requests as (
    select
        scoped_pull_requests.change_id,
        scoped_pull_requests.service_key,
        frontier.deployment_id,
        frontier.deployed_at,
        frontier.is_baseline,
        case
            when frontier.commit_sha
                in (scoped_pull_requests.merge_commit_sha, scoped_pull_requests.squash_commit_sha)
                then 'merge commit deployed'
            when frontier.deployed_a_merge then 'merged before the deployed commit and not shipped earlier'
            else 'merged before the deployment and not shipped earlier'
        end as shipped_by_reason
    from {{ asof_join('scoped_pull_requests', 'shipping_id', 'frontier', ['scope_id'], 'merged_at', '<=', 'cutoff') }}
),

shipped as (
    select * from own_pull_requests
    union all
    select * from claimed_pull_requests
),

final as (
    select
        change_id,
        nullif(service_key, '') as service,
        deployment_id,
        deployed_at,
        shipped_by_reason
    from shipped
    where not is_baseline
)

select * from final
