{{ config(
    materialized='incremental',
    unique_key='change_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ clear_when_rebuilding() }}",
    post_hook=["{{ create_replaced_log() }}", "{{ log_replaced() }}",
               "drop table if exists {{ marks_relation() }}", "{{ store_marks(shipment_watermarks()) }}"],
) }}
{{ build_state_inputs() }}
-- depends_on: {{ ref('pull_request_history') }} {{ ref('merge_request_history') }}

{#- Which deployment shipped each merged change, a GitHub pull request or a GitLab merge request
    (int_merged_changes; "PR" below means either), for each service it belongs to by its paths
    (int_change_path_services): one row per (change, path service), or one row with service null for
    a PR without path services, for every PR of a repository with deployments; deployment_id null
    for one not shipped (yet), is_baseline for one the baseline shipped.
    int_changes_shipped_per_service keeps the shipped ones.

    - A merged_pr (gitlab_merged_mr) deployment ships exactly its own PR (MR), for all its services.
    - Any other deployment ships the PRs of its repository (into its branch, when it has one) that
      no earlier deployment shipped and that were merged at or before its cut-off
      (macros/deployment_cutoffs.sql). For a path service, only the deployments that count for it do:
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
    'merged before the deployment and not shipped earlier' (no deployed merge commit is known).

    Incremental: a build recomputes only the PRs whose shipment new data can change
    (macros/reshipping.sql: changes_to_reship), and everything when services.csv, the
    definitions, a repository's name or the code changed (macros/build_marks.sql); `built_at`
    says when a row was last written, for the changes mart, and `replaced_deployed_at` the
    earliest deployment that shipped the PR before, for the deployments mart
    (macros/shipment_marks.sql: log_replaced). -#}

{%- set marks = stored_marks() %}
with

deployments as not materialized (
    select * from {{ ref('int_deployments_mapped') }}
    where repository is not null
),

baselines as (
    {{ repository_baselines('deployments') }}
),

pull_requests as not materialized (
    -- read several times, each with its own filter, which reaches the history table's scan:
    -- materialized, every PR would be copied first (bench scale 3: 2.6 M rows, ~3 s)
    select * from {{ ref('int_merged_changes') }}
),

path_services as (
    select * from {{ ref('int_change_path_services') }}
),

{% if marks %}
{{ changes_to_reship(marks) }},
{% endif %}

changes_to_ship as (
    -- the PRs this build ships: those changes_to_reship names, or (building everything)
    -- those of every repository with deployments: no other can be shipped
    select * from pull_requests
    {%- if marks %}
    where change_id in (select change_id from reshipped)
    {%- else %}
    where repository in (select deployments.repository from deployments)
    {%- endif %}
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
    from changes_to_ship as pull_requests
    left join path_services on pull_requests.change_id = path_services.change_id
),

own_pull_requests as (
    select
        change_keys.change_id,
        change_keys.service_key,
        deployments.deployment_id,
        deployments.deployed_at,
        baselines.deployment_id is not null as is_baseline,
        'merged by this deployment' as shipped_by_reason
    from deployments
    inner join change_keys
        on deployments.method = change_keys.own_method
        and deployments.source_id = change_keys.source_id
    left join baselines on deployments.deployment_id = baselines.deployment_id
),

unclaimed_pull_requests as (
    select * from change_keys
    where not exists (select 1 from own_pull_requests where own_pull_requests.change_id = change_keys.change_id)
),

shipping_scopes as materialized (
    -- each (repository, base branch, service) PRs ship in, numbered: the frontier and the ASOF join
    -- partition by one integer, not three strings (DuckDB's ASOF join at 3 M PRs: 5.8 s -> 3.5 s);
    -- with the earliest merge shipped now in each
    select row_number() over (order by repository, base_ref, service_key) as scope_id, *
    from (
        select repository, base_ref, service_key, min(merged_at) as earliest_merged_at
        from unclaimed_pull_requests
        group by repository, base_ref, service_key
    ) as scopes
),

scoped_pull_requests as (
    select unclaimed_pull_requests.*, shipping_scopes.scope_id
    from unclaimed_pull_requests
    inner join shipping_scopes
        on unclaimed_pull_requests.repository = shipping_scopes.repository
        and unclaimed_pull_requests.base_ref = shipping_scopes.base_ref
        and unclaimed_pull_requests.service_key = shipping_scopes.service_key
),

repository_bounds as (
    select repository, min(earliest_merged_at) as earliest_merged_at
    from shipping_scopes
    group by repository
),

{{ bounded_deployment_cutoffs() }},

cutoff_deployments as (
    -- the deployments that ship everything merged up to their cut-off, per PR base branch and
    -- service; one without a branch, and the baseline, cover every branch of the repository.
    -- Those with a cut-off before the scope's earliest merge shipped now ship none of its PRs and
    -- leave the frontier after them as it is (each entry's cut-off is above theirs): left out, a
    -- build after new data walks the recent deployments only (macros/deployment_cutoffs.sql).
    select
        cutoffs.*,
        shipping_scopes.base_ref,
        shipping_scopes.service_key,
        shipping_scopes.scope_id
    from cutoffs
    inner join shipping_scopes
        on cutoffs.repository = shipping_scopes.repository
        and (cutoffs.branch = shipping_scopes.base_ref or cutoffs.branch is null or cutoffs.is_baseline)
        and (shipping_scopes.service_key = '' or not cutoffs.is_service_named
             or cutoffs.service = shipping_scopes.service_key or cutoffs.is_baseline)
    where (cutoffs.method not in ('merged_pr', 'gitlab_merged_mr') or cutoffs.is_baseline)
        and cutoffs.cutoff >= shipping_scopes.earliest_merged_at
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

replaced as (
    -- the earliest deployment that shipped each of these PRs before this build, for the deployments
    -- mart: it may no longer ship it (int_change_shipments__replaced). By change_keys, which the
    -- query reads several times anyway: a second read of `reshipped` (DuckDB then materializes
    -- it) failed 4-5 of 8 times at 400 MB, at bench scale 3 after 1% new data; 8 of 8 pass so.
    {%- if marks %}
    select change_id, min(deployed_at) as deployed_at
    from {{ this }}
    where change_id in (select change_id from change_keys)
    group by change_id
    {%- else %}
    select cast(null as varchar) as change_id, cast(null as {{ dbt.type_timestamp() }}) as deployed_at
    where false
    {%- endif %}
),

final as (
    select
        change_keys.change_id,
        nullif(change_keys.service_key, '') as service,
        change_keys.repository,
        shipped.deployment_id,
        shipped.deployed_at,
        shipped.shipped_by_reason,
        coalesce(shipped.is_baseline, false) as is_baseline,
        {{ build_started_at() }} as built_at,
        replaced.deployed_at as replaced_deployed_at
    from change_keys
    left join shipped
        on change_keys.change_id = shipped.change_id
        and change_keys.service_key = shipped.service_key
    left join replaced on change_keys.change_id = replaced.change_id
)

select * from final
