{#- The incremental part of int_change_shipments: which PRs a build must recompute, and what each
    build records so that the next one can tell.

    Why a PR's shipment can only move where something changed: per scope, int_shipping_frontier's
    entries are deployments in deployment order, and an entry's membership and cut-off depend only
    on the deployments before it. So if every deployment of a repository before time T is as it
    was, the frontier entries before T are too, and a PR merged at or before the newest of their
    cut-offs is still shipped by the same one of them. A build therefore recomputes:
    - the PRs loaded since the last build (history's `loaded_at` above its watermark);
    - in a repository with a changed deployment, per scope, every PR merged after the newest
      cut-off of the frontier entries before its first changed deployment: a deployment record
      loaded since the last build (wherever it is now, and wherever it was: the rows it shipped),
      or one that deployed a newly loaded PR's merge commit (its cut-off moved). PRs nothing
      shipped yet fall here too. A repository whose deployments are all as they were keeps every
      shipment but those of its new PRs;
    - every PR of a repository whose baseline (first deployment) is another than last time, or
      whose name is gone (renamed: its PRs and deployments now read under the new name);
    A PR that is (or was) its own deployment (merged_pr, gitlab_merged_mr) needs nothing more:
    that deployment's record is the PR's, so whatever changes the one reloads the other.
    A deployment that shipped nothing can move or vanish without changing any existing PR's
    shipment: no PR was merged between the previous entry's cut-off and its own. -#}

{#- What the build depends on besides its rows: the project's models, the deployment definitions
    (deployment_history's current definitions_hash) and services.csv. A different key recomputes
    every PR. -#}
{% macro shipment_inputs_key() %}
    {#- ref() before the guard: dbt records a model's dependencies while parsing, when nothing executes -#}
    {%- set definitions, services = ref('deployment_history'), ref('services') -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') if node.resource_type == 'model' -%}
        {%- do models.append(node.checksum.checksum) -%}
    {%- endfor -%}
    {%- set key = run_query(
        "select md5('" ~ models | join(',') ~ "' || '|' || coalesce("
        ~ "(select definitions_hash from " ~ definitions
        ~ " order by definitions_version desc limit 1), '') || '|' || coalesce("
        ~ "(select " ~ dbt.listagg('cast(services as varchar)', "'|'", 'order by service') ~ " from "
        ~ services ~ " as services), ''))").columns[0].values()[0] -%}
    {{ return(key) }}
{% endmacro %}

{#- The watermarks the last build recorded, as SQL literals, or none when it must recompute every
    PR: a first build, an empty table, or another inputs key. The newest watermark stored is that of
    the last build that wrote rows; one that wrote none saw nothing new, so it may be skipped. -#}
{% macro stored_shipment_state(inputs_key) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set row = run_query('select max(inputs_key), min(inputs_key), max(change_watermark), '
                            ~ 'max(deployment_watermark) from ' ~ this).rows[0] -%}
    {%- if row[0] is none or row[0] != inputs_key or row[1] != inputs_key -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set literal = "cast('%s' as decimal(18, 6))" -%}
    {{ return({'change_watermark': literal % row[2] if row[2] is not none else '-1',
               'deployment_watermark': literal % row[3] if row[3] is not none else '-1'}) }}
{% endmacro %}

{#- Columns of every row written: the newest load of the changes and of the deployment records
    this build read. -#}
{% macro shipment_watermarks() %}
    (select max(loaded_at) from (
        select max(loaded_at) as loaded_at from {{ ref('pull_request_history') }}
        union all
        select max(loaded_at) from {{ ref('merge_request_history') }}
    ) as change_loads) as change_watermark,
    (select max(loaded_at) from {{ ref('deployment_history') }}) as deployment_watermark
{% endmacro %}

{#- CTEs ending in `recomputed` (change_id): the PRs to recompute. They read the model's CTEs
    deployments, pull_requests, change_keys and frontier, and the table as the
    last build left it. -#}
{% macro shipments_to_recompute(stored) %}
previous as (
    select * from {{ this }}
),

new_changes as (
    select change_id, repository, merge_commit_sha, squash_commit_sha
    from pull_requests
    where loaded_at > {{ stored.change_watermark }}
),

new_commits as (
    -- the merge and squash commits of the new changes, one column (an equality join below)
    select repository, merge_commit_sha as commit_sha from new_changes
    union all
    select repository, squash_commit_sha from new_changes
),

changed_deployments as (
    -- deployment records loaded since, and deployments of a new change's commit: their cut-off moved
    select candidate_id as deployment_id
    from {{ ref('deployment_history') }}
    where loaded_at > {{ stored.deployment_watermark }}
    union
    select deployments.deployment_id
    from deployments
    inner join new_commits
        on deployments.repository = new_commits.repository
        and deployments.commit_sha = new_commits.commit_sha
),

first_changes as (
    -- per repository, the earliest time a changed deployment is at now or was at before
    select repository, min(deployed_at) as changed_from
    from (
        select deployments.repository, deployments.deployed_at
        from deployments
        inner join changed_deployments on deployments.deployment_id = changed_deployments.deployment_id
        union all
        select previous.repository, previous.deployed_at
        from previous
        inner join changed_deployments on previous.deployment_id = changed_deployments.deployment_id
    ) as changed_positions
    group by repository
),

recomputed_repositories as (
    -- repositories whose baseline is another deployment than last time; a renamed one's old name
    -- has none left
    select previous_repositories.repository
    from (
        select repository, max(baseline_deployment_id) as baseline_deployment_id
        from previous
        group by repository
    ) as previous_repositories
    left join deployments
        on previous_repositories.repository = deployments.repository
        and deployments.is_baseline
    where deployments.deployment_id is distinct from previous_repositories.baseline_deployment_id
),

stable_cutoffs as (
    -- per scope of a repository with a changed deployment, the newest cut-off of the frontier
    -- entries before the first change
    select frontier.repository, frontier.base_ref, frontier.service_key, max(frontier.cutoff) as cutoff
    from frontier
    inner join first_changes on frontier.repository = first_changes.repository
    where frontier.deployed_at < first_changes.changed_from
        and not exists (
            select 1 from recomputed_repositories where recomputed_repositories.repository = frontier.repository
        )
    group by frontier.repository, frontier.base_ref, frontier.service_key
),

recomputed as (
    select change_id from new_changes
    union
    select change_keys.change_id
    from change_keys
    inner join first_changes on change_keys.repository = first_changes.repository
    left join stable_cutoffs
        on change_keys.repository = stable_cutoffs.repository
        and change_keys.base_ref = stable_cutoffs.base_ref
        and change_keys.service_key = stable_cutoffs.service_key
    where stable_cutoffs.cutoff is null or change_keys.merged_at > stable_cutoffs.cutoff
    union
    select previous.change_id
    from previous
    inner join recomputed_repositories on previous.repository = recomputed_repositories.repository
)
{% endmacro %}
