{#- Every deployment of a repository with what int_changes_shipped_per_service needs to ship PRs
    (GitHub PRs and GitLab MRs, int_merged_changes) with it: its cut-off, the merge time of the PR
    whose merge commit (or squash commit) it deployed, else its deployment time, so a deployment
    that started before a later merge does not claim it; and whether it is its repository's first
    deployment, the baseline (what it ships predates the history). -#}
with

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

pull_requests as (
    select * from {{ ref('int_merged_changes') }}
),

deployed_pull_requests as (
    -- the PRs of repositories with deployments: no other merge can be deployed, and the join
    -- below hashes 517,235 merge commits instead of 2,583,986 (bench scale 3: the shipments
    -- query 3.8 s -> 3.4 s alone)
    select * from pull_requests
    where repository in (select deployments.repository from deployments)
),

merge_commits as (
    -- each commit a merge left on its branch: the merge commit, or a GitLab squash commit
    select repository, merge_commit_sha as commit_sha, merged_at from deployed_pull_requests
    where merge_commit_sha is not null
    union all
    select repository, squash_commit_sha, merged_at from deployed_pull_requests
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

final as (
    select
        deployments.deployment_id,
        deployments.method,
        deployments.source_id,
        deployments.service,
        deployments.is_service_named,
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
)

select * from final
