{#- A select of the deployments of `deployments` (a relation with deployment_id and deployed_at,
    none earlier than `recomputed_from`, a timestamp literal, or none for all) that are rework:
    unplanned, made to address a problem in production (DORA's deployment rework rate); one row
    each with deployment_id, definition_id and rework_reason. A rework definition
    (rework_definitions.csv: every filter of a row must match, any row counts, globs as in the
    other definition files) matches a deployment
    - revert_pr: that shipped a revert (int_merged_changes.is_revert) of a matching `repository`;
    - hotfix_pr: that shipped a change matching `repository`, `label` (any of its labels),
      `branch` (its head branch) and `title`;
    - open_incident: of a service matching `service` (one of those it counts for:
      int_deployment_services), deployed while one of the service's incidents was open (created <=
      deployed < resolved; an unresolved incident is still open), unless that incident is
      attributed to this very deployment (it caused the incident: int_incident_spans).
    One reason per match, `<what> (definition <definition_id>)`, joined with '; ' in the order of
    definition and reason; `definition_id` is the alphabetically first matching definition.
    Evaluated after history from durable tables, so it needs no history of its own. -#}
{% macro deployments_reworked(deployments, recomputed_from=none) %}
with

{%- set filters = ['repository', 'branch', 'label', 'title', 'service'] %}
effective_definitions as (
    {{ effective_definitions(ref('rework_definitions'), 'rework', filters) }}
),

definitions as materialized (
    {{ definition_patterns('effective_definitions', filters) }}
),

service_deployments as (
    -- once per service it counts for (a monorepo deployment for several: int_deployment_services)
    select deployment_services.deployment_id, deployment_services.service, deployments.deployed_at
    from {{ ref('int_deployment_services') }} as deployment_services
    inner join {{ deployments }} as deployments on deployment_services.deployment_id = deployments.deployment_id
),

shipped_changes as (
    select shipped.deployment_id, changes.*
    from {{ ref('int_changes_shipped') }} as shipped
    inner join {{ ref('int_merged_changes') }} as changes on shipped.change_id = changes.change_id
    {%- if recomputed_from is not none %}
    where shipped.deployed_at >= {{ recomputed_from }}
    {%- endif %}
),

revert_matches as (
    select
        shipped_changes.deployment_id,
        definitions.definition_id,
        'shipped revert ' || shipped_changes.repository || '#' || cast(shipped_changes.pr_number as varchar) as reason
    from definitions
    inner join shipped_changes
        on definitions.method = 'revert_pr'
        and shipped_changes.is_revert
        and {{ filter_matches('shipped_changes.repository', 'definitions.repository') }}
),

hotfix_matches as (
    select
        shipped_changes.deployment_id,
        definitions.definition_id,
        'shipped ' || shipped_changes.repository || '#' || cast(shipped_changes.pr_number as varchar)
            || ' "' || shipped_changes.title || '"' as reason
    from definitions
    inner join shipped_changes
        on definitions.method = 'hotfix_pr'
        and {{ filter_matches('shipped_changes.repository', 'definitions.repository') }}
        and {{ any_value_matches('shipped_changes.labels', 'definitions.label') }}
        and {{ filter_matches('shipped_changes.head_ref', 'definitions.branch') }}
        and {{ filter_matches('shipped_changes.title', 'definitions.title') }}
),

incident_days as (
    -- each incident once per day it is open on (an unresolved one: until the last deployment), so
    -- a deployment is compared with its service's incidents of that day, not with all of them
    -- (a range join on the service alone: 82 s on Postgres for 275,000 deployments at bench scale 1)
    {%- set first_day = "date_trunc('day', spans.created_at)" %}
    {%- if recomputed_from is not none %}
        {%- set first_day = "greatest(" ~ first_day ~ ", date_trunc('day', " ~ recomputed_from ~ "))" %}
    {%- endif %}
    select
        spans.*,
        {{ timestamp_series(first_day, "coalesce(spans.resolved_at, last_deployment.deployed_at)", '1 day') }}
            as open_day
    from {{ ref('int_incident_spans') }} as spans
    cross join (select max(deployed_at) as deployed_at from {{ deployments }}) as last_deployment
    {%- if recomputed_from is not none %}
    where spans.resolved_at is null or spans.resolved_at > {{ recomputed_from }}
    {%- endif %}
),

open_incident_matches as (
    select
        service_deployments.deployment_id,
        definitions.definition_id,
        'deployed while incident ' || incident_days.incident_id || ' was open' as reason
    from service_deployments
    inner join incident_days
        on service_deployments.service = incident_days.service
        and date_trunc('day', service_deployments.deployed_at) = incident_days.open_day
        and service_deployments.deployed_at >= incident_days.created_at
        and (incident_days.resolved_at is null or service_deployments.deployed_at < incident_days.resolved_at)
    inner join definitions
        on definitions.method = 'open_incident'
        and {{ filter_matches('service_deployments.service', 'definitions.service') }}
    where incident_days.deployment_id is distinct from service_deployments.deployment_id
),

matches as (
    select * from revert_matches
    union all
    select * from hotfix_matches
    union all
    select * from open_incident_matches
)

select
    deployment_id,
    min(definition_id) as definition_id,
    {{ joined_in_order("reason || ' (definition ' || definition_id || ')'", "'; '", ['definition_id', 'reason']) }}
        as rework_reason
from matches
group by deployment_id
{% endmacro %}
