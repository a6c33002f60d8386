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
