{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_recomputed(deployment_id_loaded_since(stored_marks())) }}",
    post_hook=["drop table if exists {{ marks_relation() }}", "{{ store_marks(deployment_history_watermarks()) }}"],
) }}
{{ build_state_inputs() }}

{#- The records that currently count as deployments, with their service and team (services.csv).
    A deployment whose definition names a service (the `service` cell of a method other than custom,
    role `name` in definition_methods.csv: a monorepo workflow deploying one service) counts for it
    (is_service_named; int_deployment_services then ignores its shipped PRs' paths). A custom
    deployment names its service; others take the first services.csv row whose
    `repository` glob matches (a GitLab project path counts as a repository), else the repository's
    full name; a Jira issue the first row whose `jira` glob matches `<project>/<first component>`
    (`<project>` without components), else its project key. The team is the one services.csv
    gives that service. Mapping happens after history, so editing services.csv re-evaluates nothing.
    A deployment dated more than a day after its load is left out (marts.quarantine lists it).
    Incremental: a row depends on its history row alone and on what the state covers
    (macros/build_marks.sql), so a build recomputes the history rows loaded since the last one. -#}
{%- set loaded_since = history_loaded_since(stored_marks()) %}
with

deployment_history as (
    select * from {{ ref('deployment_history') }}
    {%- if loaded_since %}
    where {{ loaded_since }}
    {%- endif %}
),

services as (
    select * from {{ ref('int_services') }}
),

repository_names as (
    select * from {{ ref('int_repository_names') }}
),

definitions as (
    select * from {{ ref('deployment_definitions') }}
),

method_filters as (
    select * from {{ ref('definition_methods') }}
),

definition_services as (
    -- the service a definition names, where its method's `service` is a name, not a filter
    select definitions.definition_id, trim(definitions.service) as service
    from definitions
    inner join method_filters
        on method_filters.kind = 'deployment'
        and method_filters.method = definitions.method
        and method_filters.filter = 'service'
        and method_filters.role = 'name'
    where trim(definitions.service) <> ''
),

deployments as (
    -- stored under the name of its time: shown under the repository's current name
    select
        deployment_history.*,
        coalesce(repository_names.repository, deployment_history.repository) as current_repository
    from deployment_history
    left join repository_names on deployment_history.repository_id = repository_names.repository_id
    where deployment_history.is_deployment
        and not {{ dated_after_load('deployment_history.deployed_at', 'deployment_history.loaded_at') }}
),

repository_services as (
    {{ first_matching_service('deployments', 'candidate_id', 'current_repository', 'services', 'whole_repository_pattern') }}
),

jira_deployments as (
    select candidate_id, {{ jira_scope('project', 'components') }} as jira_scope
    from deployments
    where method = 'jira_issue'
),

jira_services as (
    {{ first_matching_service('jira_deployments', 'candidate_id', 'jira_scope', 'services', 'jira_pattern') }}
),

service_teams as (
    select distinct service, service_team as team
    from services
),

named as (
    select
        deployments.*,
        coalesce(
            definition_services.service, deployments.service, repository_services.service, jira_services.service,
            deployments.current_repository, deployments.project
        ) as service_name,
        definition_services.service is not null as is_service_named
    from deployments
    left join definition_services on deployments.definition_id = definition_services.definition_id
    left join repository_services on deployments.candidate_id = repository_services.record_id
    left join jira_services on deployments.candidate_id = jira_services.record_id
),

final as (
    select
        named.candidate_id as deployment_id,
        named.method,
        named.source_id,
        named.definition_id,
        named.service_name as service,
        named.is_service_named,
        service_teams.team,
        named.current_repository as repository,
        named.branch,
        named.environment,
        named.commit_sha,
        named.deployed_at,
        named.url
    from named
    left join service_teams on named.service_name = service_teams.service
)

select * from final
