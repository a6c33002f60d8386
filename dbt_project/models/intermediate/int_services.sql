{#- services.csv with each row's position (the first matching row wins) and the team of each
    service (the first non-empty team among the rows naming it). -#}
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
        -- read by name from the row, so a services.csv written before the jira column still works
        to_json(services) ->> 'jira' as jira
    from services
),

with_service_teams as (
    select
        *,
        first_value(team ignore nulls) over (
            partition by service order by line rows between unbounded preceding and unbounded following
        ) as service_team
    from numbered
)

select * from with_service_teams
