{{ config(materialized='table') }}

{#- services.csv with each row's position (the first matching row wins), the team of each service
    (the first non-empty team among the rows naming it) and each glob compiled once for matching
    (macros/definition_filters.sql): a table, so no join compiles a glob per record. A row's
    `paths` globs are compiled one by one in int_service_paths. -#}
with

services as (
    select * from {{ ref('services') }}
),

numbered as (
    select
        row_number() over () as line,
        service,
        team,
        repository,
        pagerduty_service,
        -- read by name from the row, so a services.csv written before the jira or paths column still works
        to_json(services) ->> 'jira' as jira,
        nullif(trim(to_json(services) ->> 'paths'), '') as paths
    from services
),

with_service_teams as (
    select
        *,
        first_value(team) over (
            partition by service order by team is null, line rows between unbounded preceding and unbounded following
        ) as service_team
    from numbered
),

with_patterns as (
    select
        *,
        {{ filter_pattern('repository') }} as repository_pattern,
        -- a row with paths maps the PRs of its repositories that change them (int_change_path_services), not
        -- whole repositories
        case when paths is null then {{ filter_pattern('repository') }} end as whole_repository_pattern,
        {{ filter_pattern('pagerduty_service') }} as pagerduty_service_pattern,
        {{ filter_pattern('jira') }} as jira_pattern
    from with_service_teams
)

select * from with_patterns
