{#- Stops the run, before any seed is loaded or any history table is touched, when a definition
    file is invalid: an empty or duplicate definition_id, an unknown method, a filter column the
    method does not use, a missing required filter, a missing column. Every problem is listed as
    `<file> line <n> (definition_id '<id>'): column '<column>' ...` (line 1 is the header).

    It reads the CSV files themselves (the seeds are only loaded later in the run); which filter
    columns each method uses comes from definition_methods.csv alone. -#}
{% macro validate_definitions() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set methods_file = seed_file_path('definition_methods') -%}
    {%- set problems = [] -%}
    {%- for kind in ['deployment', 'incident'] -%}
        {%- do problems.extend(definition_problems(kind, seed_file_path(kind ~ '_definitions'), methods_file)) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Invalid definitions:\n" ~ problems | join("\n")) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro seed_file_path(seed_name) %}
    {%- for node in graph.nodes.values() if node.resource_type == 'seed' and node.name == seed_name -%}
        {{ return(node.root_path ~ '/' ~ node.original_file_path) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("seed " ~ seed_name ~ " not found") }}
{% endmacro %}

{% macro read_definition_csv(path) -%}
    read_csv('{{ path }}', header = true, all_varchar = true)
{%- endmacro %}

{#- The problems of one definition file, as messages. -#}
{% macro definition_problems(kind, path, methods_path) %}
    {%- set file_name = path.split('/')[-2:] | join('/') -%}
    {%- set methods_sql -%}
        select * from {{ read_definition_csv(methods_path) }} where kind = '{{ kind }}'
    {%- endset -%}
    {%- set header = run_query("describe select * from " ~ read_definition_csv(path)).columns[0].values() -%}
    {%- set expected = ['definition_id', 'method'] + run_query("select distinct filter from (" ~ methods_sql ~ ") order by 1").columns[0].values() | list -%}
    {%- set missing = [] -%}
    {%- for column in expected if column not in header -%}
        {%- do missing.append(file_name ~ ": missing column '" ~ column ~ "'") -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ return(missing) }}
    {%- endif -%}
    {%- set problems_sql -%}
        with

        definitions as (
            select row_number() over () + 1 as line, *
            from {{ read_definition_csv(path) }}
        ),

        method_filters as ({{ methods_sql }}),

        filled_cells as (
            unpivot definitions
            on columns(* exclude (line, definition_id, method))
            into name filter value pattern
        ),

        empty_ids as (
            select line, definition_id, 'definition_id' as column_name, 'is empty' as problem
            from definitions
            where coalesce(trim(definition_id), '') = ''
        ),

        duplicate_ids as (
            select line, definition_id, 'definition_id' as column_name,
                'is a duplicate (first used on line ' || first_line || ')' as problem
            from (
                select line, definition_id, min(line) over (partition by trim(definition_id)) as first_line
                from definitions
                where coalesce(trim(definition_id), '') <> ''
            )
            where line > first_line
        ),

        unknown_methods as (
            select line, definition_id, 'method' as column_name,
                'has unknown method ''' || coalesce(method, '') || ''' (known: '
                || (select string_agg(distinct method, ', ' order by method) from method_filters) || ')' as problem
            from definitions
            where coalesce(method, '') not in (select method from method_filters)
        ),

        unused_filters as (
            select line, definition_id, filter as column_name,
                'is not used by method ''' || method || '''' as problem
            from filled_cells
            where trim(pattern) <> ''
              and method in (select method from method_filters)
              and not exists (
                  select 1 from method_filters
                  where method_filters.method = filled_cells.method and method_filters.filter = filled_cells.filter
              )
        ),

        missing_required_filters as (
            select definitions.line, definitions.definition_id, method_filters.filter as column_name,
                'is required by method ''' || definitions.method || '''' as problem
            from definitions
            inner join method_filters
                on definitions.method = method_filters.method and method_filters.required = 'true'
            left join filled_cells
                on definitions.line = filled_cells.line and method_filters.filter = filled_cells.filter
                and trim(filled_cells.pattern) <> ''
            where filled_cells.line is null
        ),

        problems as (
            select * from empty_ids
            union all select * from duplicate_ids
            union all select * from unknown_methods
            union all select * from unused_filters
            union all select * from missing_required_filters
        )

        select
            '{{ file_name }} line ' || line || ' (definition_id ''' || coalesce(definition_id, '') || '''): column '''
            || column_name || ''' ' || problem as message
        from problems
        order by line, column_name
    {%- endset -%}
    {{ return(run_query(problems_sql).columns[0].values() | list) }}
{% endmacro %}
