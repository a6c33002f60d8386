{#- The service a record belongs to by services.csv: the first row (file order) whose glob in
    `pattern_column` (compiled: int_services) matches the record's `value_column`; rows with that
    column empty are skipped.
    Yields (record_id, service). `records` and `services` are CTE names. -#}
{% macro first_matching_service(records, record_id, value_column, services, pattern_column) %}
    select record_id, service
    from (
        select
            {{ records }}.{{ record_id }} as record_id,
            {{ services }}.service,
            row_number() over (partition by {{ records }}.{{ record_id }} order by {{ services }}.line) as match_rank
        from {{ records }}
        inner join {{ services }}
            on coalesce({{ services }}.{{ pattern_column }}, '') <> ''
            and {{ filter_matches(records ~ '.' ~ value_column, services ~ '.' ~ pattern_column) }}
    ) as matching_services
    where match_rank = 1
{% endmacro %}

{#- What services.csv's `jira` column is matched against: `<project key>/<first component>`, or
    just `<project key>` for an issue without components. -#}
{% macro jira_scope(project, components) -%}
    {{ project }} || coalesce('/' || {{ components }}[1], '')
{%- endmacro %}

{#- Per `key` of a memberships relation ((key, service, team) rows: int_deployment_services,
    int_change_services), its services and its teams, each distinct and joined with ', ' in
    alphabetical order (null when none): what a one-row-per-record mart shows. Most keys have one
    service and one team: those take them from a min/max aggregate, and only the others are joined
    (names_together, not dbt.listagg: that has no DISTINCT): aggregating a list for every key cost
    the deployments mart ~0.6 s of 3.8 s at 826,330 deployments (bench scale 3, DuckDB). Each
    aggregate reads the table itself: Postgres estimates its groups from the key's statistics,
    where a join of two aggregates over DISTINCT subqueries was estimated at 200 rows and
    nested-looped (171,752 x 171,752 pairs). -#}
{% macro services_named_together(memberships, key, where=none) %}
    {%- set memberships_read -%}
        {{ ref(memberships) }}{% if where %} where {{ where }}{% endif %}
    {%- endset %}
    with

    ranges as (
        select
            {{ key }},
            min(service) as first_service,
            max(service) as last_service,
            min(team) as first_team,
            max(team) as last_team
        from {{ memberships_read }}
        group by {{ key }}
    ),

    several as (
        select
            {{ key }},
            {{ names_together('service') }} as services,
            {{ names_together('team') }} as teams
        from {{ memberships_read }}
        {{ 'and' if where else 'where' }} {{ key }} in (
            select {{ key }} from ranges
            where first_service <> last_service or first_team <> last_team
        )
        group by {{ key }}
    )

    select
        ranges.{{ key }},
        case when ranges.first_service = ranges.last_service then ranges.first_service else several.services end
            as services,
        case when ranges.first_team = ranges.last_team then ranges.first_team else several.teams end as teams
    from ranges
    left join several on ranges.{{ key }} = several.{{ key }}
{% endmacro %}
