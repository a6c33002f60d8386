{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_recomputed(changes_reshipped_since(stored_marks(), 'change_id')) }}",
    post_hook=["drop table if exists {{ marks_relation() }}", "{{ store_marks(shipments_seen()) }}"],
) }}
{{ build_state_inputs() }}
-- depends_on: {{ ref('int_change_shipments') }}

{#- One row per merged pull request (or GitLab merge request) that reached a deployment, with the
    services it counts for (int_change_services; several joined with ', ')
    (int_changes_shipped: which one, and why in shipped_by_reason; a monorepo PR shipped for each
    of its services by a different deployment is the org's once, at the first), with its lead time:
    deployed_at - first commit, split into coding (first commit -> PR opened), review
    (opened -> merged) and deploy wait (merged -> deployed). A negative span (clock skew, rebased
    history) is null, so it stays out of the metrics.
    Incremental: a build recomputes the changes whose shipments int_change_shipments rewrote since
    its own last build (macros/reshipping.sql: changes_reshipped_since), after deleting their rows;
    every row when the state changed (macros/build_marks.sql). -#}
{%- set reshipped_since = changes_reshipped_since(stored_marks(), 'change_id') %}
with

shipped as (
    select * from {{ ref('int_changes_shipped') }}
    {%- if reshipped_since %}
    where {{ reshipped_since }}
    {%- endif %}
),

pull_requests as (
    select * from {{ ref('int_merged_changes') }}
),

deployments as (
    select * from {{ ref('int_deployments_mapped') }}
),

counted_for as (
    -- a monorepo change counts for each service its paths give it (int_change_services): named together
    {{ services_named_together('int_change_services', 'change_id', reshipped_since) }}
),

final as (
    select
        pull_requests.change_id,
        counted_for.services as service,
        counted_for.teams as team,
        pull_requests.repository,
        pull_requests.pr_number,
        pull_requests.title,
        pull_requests.author,
        pull_requests.base_ref,
        pull_requests.url,
        pull_requests.first_commit_at,
        pull_requests.opened_at,
        pull_requests.merged_at,
        deployments.deployment_id,
        deployments.deployed_at,
        shipped.shipped_by_reason,
        {{ elapsed_hours('pull_requests.first_commit_at', 'deployments.deployed_at') }} as lead_time_hours,
        {{ elapsed_hours('pull_requests.first_commit_at', 'pull_requests.opened_at') }} as coding_hours,
        {{ elapsed_hours('pull_requests.opened_at', 'pull_requests.merged_at') }} as review_hours,
        {{ elapsed_hours('pull_requests.merged_at', 'deployments.deployed_at') }} as deploy_wait_hours
    from shipped
    inner join pull_requests on shipped.change_id = pull_requests.change_id
    inner join deployments on shipped.deployment_id = deployments.deployment_id
    inner join counted_for on shipped.change_id = counted_for.change_id
)

select * from final
