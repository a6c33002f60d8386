{#- CTEs ending in `cutoffs`: the deployments (CTE `deployments`, int_deployments_mapped) whose
    cut-off can be at or after their repository's bound (CTE `repository_bounds`: repository,
    earliest_merged_at, the earliest merge int_change_shipments ships now), with
    - `cutoff`: what the deployment ships up to, the merge time of the PR whose merge commit (or
      squash commit) it deployed, else its deployment time, so a deployment that started before a
      later merge does not claim it; `deployed_a_merge`: such a PR is known;
    - `is_baseline`: it is its repository's first deployment (CTE `baselines`).
    A deployment with an earlier cut-off ships none of the PRs shipped now, and the frontier after
    it is the same without it, so only these are read in full: those deployed at or after the bound,
    and those deployed before it of a commit merged at or after it (the clocks disagree). On a build
    of everything, the bound is the first merge and every deployment is one of them. -#}
{% macro bounded_deployment_cutoffs() %}
merge_commits as not materialized (
    -- each commit a merge left on its branch: the merge commit, or a GitLab squash commit
    select repository, merge_commit_sha as commit_sha, merged_at from pull_requests
    where merge_commit_sha is not null
        and repository in (select repository from repository_bounds)
    union all
    select repository, squash_commit_sha, merged_at from pull_requests
    where squash_commit_sha is not null
        and repository in (select repository from repository_bounds)
),

bounded_deployments as (
    select deployments.deployment_id
    from deployments
    inner join repository_bounds on deployments.repository = repository_bounds.repository
    where deployments.deployed_at >= repository_bounds.earliest_merged_at
    union
    select deployments.deployment_id
    from deployments
    inner join repository_bounds on deployments.repository = repository_bounds.repository
    inner join merge_commits
        on deployments.repository = merge_commits.repository
        and deployments.commit_sha = merge_commits.commit_sha
    where merge_commits.merged_at >= repository_bounds.earliest_merged_at
),

deployed_merges as (
    -- the PR whose merge commit (or squash commit) a deployment deployed; equality joins only, so
    -- DuckDB hashes them instead of comparing every deployment with every PR of its repository
    select
        deployments.deployment_id,
        max(merge_commits.merged_at) as merged_at
    from deployments
    inner join bounded_deployments on deployments.deployment_id = bounded_deployments.deployment_id
    inner join merge_commits
        on deployments.repository = merge_commits.repository
        and deployments.commit_sha = merge_commits.commit_sha
    group by deployments.deployment_id
),

cutoffs as (
    select
        deployments.*,
        deployed_merges.merged_at is not null as deployed_a_merge,
        coalesce(deployed_merges.merged_at, deployments.deployed_at) as cutoff,
        baselines.deployment_id is not null as is_baseline
    from deployments
    inner join bounded_deployments on deployments.deployment_id = bounded_deployments.deployment_id
    left join deployed_merges on deployments.deployment_id = deployed_merges.deployment_id
    left join baselines on deployments.deployment_id = baselines.deployment_id
)
{% endmacro %}

{#- Each repository's first deployment (by time, then id): its baseline, what it ships predates
    the history. Two aggregates, not a window over every deployment (bench scale 3: 826,330
    deployments sorted, 2 s). -#}
{% macro repository_baselines(deployments) %}
select first_deployments.repository, min(first_deployments.deployment_id) as deployment_id
from {{ deployments }} as first_deployments
inner join (
    select repository, min(deployed_at) as deployed_at
    from {{ deployments }} as all_deployments
    where repository is not null
    group by repository
) as first_times
    on first_deployments.repository = first_times.repository
    and first_deployments.deployed_at = first_times.deployed_at
group by first_deployments.repository
{% endmacro %}
