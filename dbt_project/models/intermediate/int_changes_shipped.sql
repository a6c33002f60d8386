{#- Which deployment shipped each merged change, a GitHub pull request or a GitLab merge request
    (int_merged_changes; "PR" below means either), one row per shipped change.

    - A merged_pr (gitlab_merged_mr) deployment ships exactly its own PR (MR).
    - Any other deployment ships the PRs of its repository (into its branch, when it has one) that
      no earlier deployment shipped and that were merged at or before its cut-off: the merge time of
      the PR whose merge commit (or squash commit) it deployed, else its deployment time. So a deployment that started
      before a later merge does not claim it.
    - A repository's first deployment is the baseline: what it ships (everything merged up to it,
      any branch) predates the history and is not a change.
    Per (repository, branch), a PR goes to the earliest deployment whose cut-off is at or after its
    merge: the deployments that raise the running maximum cut-off form a frontier, and an ASOF join
    (macros/adapters) finds the first frontier entry at or after each merge, in one pass at any size.
    `shipped_by_reason` says which rule shipped it: 'merged by this deployment' (its own merge),
    'merge commit deployed' (the deployment deployed its merge or squash commit), 'merged before
    the deployed commit and not shipped earlier' (the cut-off is another PR's merge commit),
    'merged before the deployment and not shipped earlier' (no deployed merge commit is known). -#}
with

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

pull_requests as (
    select * from {{ ref('int_merged_changes') }}
),

merge_commits as (
    -- each commit a merge left on its branch: the merge commit, or a GitLab squash commit
    select repository, merge_commit_sha as commit_sha, merged_at from pull_requests
    where merge_commit_sha is not null
    union all
    select repository, squash_commit_sha, merged_at from pull_requests
    where squash_commit_sha is not null
),

deployed_merges as (
    -- the PR whose merge commit (or squash commit) a deployment deployed; equality joins only, so
    -- DuckDB hashes them instead of comparing every deployment with every PR of its repository
    select
        deployments.deployment_id,
        max(merge_commits.merged_at) as merged_at
    from deployments
    inner join merge_commits
        on deployments.repository = merge_commits.repository
        and deployments.commit_sha = merge_commits.commit_sha
    group by deployments.deployment_id
),

repository_deployments as (
    select
        deployments.deployment_id,
        deployments.method,
        deployments.source_id,
        deployments.repository,
        deployments.branch,
        deployments.commit_sha,
        deployments.deployed_at,
        deployed_merges.merged_at is not null as deployed_a_merge,
        coalesce(deployed_merges.merged_at, deployments.deployed_at) as cutoff,
        row_number() over (
            partition by deployments.repository order by deployments.deployed_at, deployments.deployment_id
        ) = 1 as is_baseline
    from deployments
    left join deployed_merges on deployments.deployment_id = deployed_merges.deployment_id
    where deployments.repository is not null
),

own_pull_requests as (
    select
        pull_requests.change_id,
        repository_deployments.deployment_id,
        repository_deployments.is_baseline,
        'merged by this deployment' as shipped_by_reason
    from repository_deployments
    inner join pull_requests
        on repository_deployments.method = pull_requests.own_method
        and repository_deployments.source_id = pull_requests.source_id
),

unclaimed_pull_requests as (
    select * from pull_requests
    where not exists (select 1 from own_pull_requests where own_pull_requests.change_id = pull_requests.change_id)
),

repository_branches as (
    select distinct repository, base_ref
    from pull_requests
),

cutoff_deployments as (
    -- the deployments that ship everything merged up to their cut-off, per PR base branch;
    -- one without a branch, and the baseline, cover every branch of the repository
    select
        repository_deployments.*,
        repository_branches.base_ref
    from repository_deployments
    inner join repository_branches
        on repository_deployments.repository = repository_branches.repository
        and (repository_deployments.branch = repository_branches.base_ref
             or repository_deployments.branch is null
             or repository_deployments.is_baseline)
    where repository_deployments.method not in ('merged_pr', 'gitlab_merged_mr') or repository_deployments.is_baseline
),

frontier as (
    select * from (
        select
            *,
            max(cutoff) over (
                partition by repository, base_ref order by deployed_at, deployment_id
                rows between unbounded preceding and 1 preceding
            ) as earlier_cutoff
        from cutoff_deployments
    ) as ordered_deployments
    where earlier_cutoff is null or cutoff > earlier_cutoff
),

claimed_pull_requests as (
    select
        unclaimed_pull_requests.change_id,
        frontier.deployment_id,
        frontier.is_baseline,
        case
            when frontier.commit_sha
                in (unclaimed_pull_requests.merge_commit_sha, unclaimed_pull_requests.squash_commit_sha)
                then 'merge commit deployed'
            when frontier.deployed_a_merge then 'merged before the deployed commit and not shipped earlier'
            else 'merged before the deployment and not shipped earlier'
        end as shipped_by_reason
    from {{ asof_join('unclaimed_pull_requests', 'change_id', 'frontier', ['repository', 'base_ref'], 'merged_at', '<=', 'cutoff') }}
),

shipped as (
    select * from own_pull_requests
    union all
    select * from claimed_pull_requests
),

final as (
    select change_id, deployment_id, shipped_by_reason
    from shipped
    where not is_baseline
)

select * from final
