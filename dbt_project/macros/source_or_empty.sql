{#- A raw table as a subquery with exactly the columns (and types) declared in the sources YAML.

    The raw tables appear only once their dlt pipeline has loaded (a fresh install has none), and
    dlt creates a column only when it first sees a non-null value. So: a missing table becomes a
    typed empty select, a missing column becomes a typed null, and the project always builds. -#}
{% macro source_or_empty(source_name, table_name) %}
    {%- set declared = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(declared) }}
    {%- endif -%}
    {%- set columns = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name].columns.values() -%}
    {%- set relation = adapter.get_relation(database=declared.database, schema=declared.schema,
                                            identifier=declared.identifier) -%}
    {%- set present = [] -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    (
        select
        {%- for column in columns %}
            cast({{ adapter.quote(column.name) if column.name in present else 'null' }} as {{ column.data_type }}) as {{ adapter.quote(column.name) }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        {% if relation is not none -%}
        from {{ relation }}
        {%- else -%}
        where false
        {%- endif %}
    ) as {{ table_name }}
{% endmacro %}
