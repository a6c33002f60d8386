{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_recomputed(deployments_from(deployments_recomputed_from(stored_marks()))) }}",
    post_hook=["drop table if exists {{ side_table('incidents') }}", "{{ keep_incidents_read() }}",
               "drop table if exists {{ marks_relation() }}", "{{ store_marks(deployment_watermarks()) }}"],
) }}
{{ build_state_inputs() }}
-- depends_on: {{ ref('int_change_shipments') }} {{ ref('rework_definitions') }}

{#- One row per deployment, with the services it counts for (several, for a monorepo deployment,
    joined with ', ': int_deployment_services has one row each) and their teams. A deployment is
    failed when at least one incident is attributed to it (int_incident_spans says why), and rework
    when a rework definition matches it (macros/rework.sql).
    Incremental: a build recomputes the deployments from the earliest one new data can change
    (macros/deployment_marks.sql), after deleting their rows; every row when the state changed. -#}
{%- set recomputed_from = deployments_recomputed_from(stored_marks()) %}
with

deployments as not materialized (
    -- read three times (here, and twice by the rework matches): materialized, every deployment's
    -- columns would be copied first (full build at bench scale 3: 5.4-6.5 s -> 4.2 s)
    select * from {{ ref('int_deployments_mapped') }}
    {%- if recomputed_from %}
    where {{ deployments_from(recomputed_from) }}
    {%- endif %}
),

failures as (
    select
        deployment_id,
        count(*) as incident_count,
        {{ joined_in_order('failure_reason', "'; '", ['created_at', 'incident_id']) }} as failure_reason
    from {{ ref('int_incident_spans') }}
    where deployment_id is not null
    {%- if recomputed_from %}
        and {{ deployments_from(recomputed_from) }}
    {%- endif %}
    group by deployment_id
),

reworked as (
    {{ deployments_reworked('deployments', recomputed_from) }}
),

counted_for as (
    -- a monorepo deployment counts for several services (int_deployment_services): named together
    {{ services_named_together('int_deployment_services', 'deployment_id',
                               'deployment_id in (select deployment_id from deployments)' if recomputed_from) }}
),

final as (
    select
        deployments.deployment_id,
        counted_for.services as service,
        counted_for.teams as team,
        deployments.repository,
        deployments.method,
        deployments.definition_id,
        deployments.environment,
        deployments.branch,
        deployments.commit_sha,
        deployments.deployed_at,
        deployments.url,
        failures.deployment_id is not null as is_failed,
        coalesce(failures.incident_count, 0) as incident_count,
        failures.failure_reason,
        reworked.deployment_id is not null as is_rework,
        reworked.definition_id as rework_definition_id,
        reworked.rework_reason
    from deployments
    inner join counted_for on deployments.deployment_id = counted_for.deployment_id
    left join failures on deployments.deployment_id = failures.deployment_id
    left join reworked on deployments.deployment_id = reworked.deployment_id
)

select * from final
