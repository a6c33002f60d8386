{#- How one filter cell of a definition matches one record value. The single place of these rules
    (dora define's preview evaluates the same rules in Python, dora/core/definition_preview.py;
    tests/test_definitions_in_dbt.py runs both on one table of cases and compares the preview's
    counts with what a build matches):
    - the cell is a glob pattern (DuckDB GLOB's rules, on every warehouse: macros/adapters)
      matched against the whole value: `*` any characters, `?` one character, `[abc]` one of a
      set; case-sensitive;
    - a leading `!` negates the pattern;
    - an empty cell matches anything (the method's default from definition_methods.csv is applied
      before, in durable_history.sql);
    - a missing (null) record value is matched as the empty string.
    A cell is first compiled once with filter_pattern() (a warehouse may translate the glob), then
    matched any number of times with filter_matches() / any_value_matches(). -#}
{% macro filter_pattern(cell) -%}
    (case
        when coalesce({{ cell }}, '') = '' then {{ cell }}
        when starts_with({{ cell }}, '!') then '!' || {{ glob_pattern('substr(' ~ cell ~ ', 2)') }}
        else {{ glob_pattern(cell) }}
    end)
{%- endmacro %}

{% macro filter_matches(value, pattern) -%}
    (case
        when coalesce({{ pattern }}, '') = '' then true
        when starts_with({{ pattern }}, '!') then not ({{ glob_matches('coalesce(' ~ value ~ ", '')", 'substr(' ~ pattern ~ ', 2)') }})
        else {{ glob_matches('coalesce(' ~ value ~ ", '')", pattern) }}
    end)
{%- endmacro %}

{#- The same for a list of values (a PR's labels): matches when ANY value matches the pattern;
    negated, when NO value matches. -#}
{% macro any_value_matches(values, pattern) -%}
    (case
        when coalesce({{ pattern }}, '') = '' then true
        when starts_with({{ pattern }}, '!')
            then not ({{ any_glob_matches(values, 'substr(' ~ pattern ~ ', 2)') }})
        else {{ any_glob_matches(values, pattern) }}
    end)
{%- endmacro %}

{#- The definitions of a definition seed as they apply: one row per definition with its
    definition_id, method and each of `filters`, an empty (or blank) cell taking the method's
    default from definition_methods.csv (e.g. workflow_run conclusion = success). A column of role
    `name` for the method (a workflow_run's `service`: the service its deployments count for) is no
    filter: null here, so it matches everything and editing it re-evaluates nothing. -#}
{% macro effective_definitions(definitions, kind, filters) %}
    select
        definitions.definition_id,
        definitions.method,
        {%- for filter in filters %}
        case when exists (
            select 1 from {{ ref('definition_methods') }} as method_filters
            where method_filters.kind = '{{ kind }}' and method_filters.method = definitions.method
                and method_filters.filter = '{{ filter }}' and method_filters.role = 'name'
        ) then null else coalesce(
            nullif(trim(definitions.{{ filter }}), ''),
            (select method_filters.default_value from {{ ref('definition_methods') }} as method_filters
             where method_filters.kind = '{{ kind }}' and method_filters.method = definitions.method
                and method_filters.filter = '{{ filter }}')
        ) end as {{ filter }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ definitions }} as definitions
{% endmacro %}

{#- Effective definitions (`relation`: definition_id, method and the `filters`) with each filter
    cell compiled once by filter_pattern(), for filter_matches() / any_value_matches(). Selected in
    a `materialized` CTE or a table: a plain subquery would compile them again for every record. -#}
{% macro definition_patterns(relation, filters) %}
    select
        definition_id,
        method,
        {%- for filter in filters %}
        {{ filter_pattern(filter) }} as {{ filter }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{% endmacro %}
