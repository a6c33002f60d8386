{#- Reading and checking the definition files (the rules of dora/core/definitions.py, which
    tests/test_definitions_in_dbt.py runs on the same cases as these macros).

    validate_definitions() stops the run, before any seed is loaded or any history table is touched,
    when a definition file is invalid: an unknown or repeated column, no definition_id or method
    column, a row with more or fewer cells than the header, an empty or duplicate definition_id
    (across the deployment, incident and rework files), an unknown method, a filter column the
    method does not use, a missing required filter, a glob that can never match (an unclosed `[`,
    a bare `!`). Every problem is listed as
    `<file> line <n> (definition_id '<id>'): column '<column>' ...` (line 1 is the header), <file>
    being the file's real path (DORA_DEFINITIONS_DIR, which dora links the seeds to). A filter
    column the file lacks (a file of an earlier version) is no error: a notice names it, and the
    seed's post-hook add_missing_columns() adds it empty once the seed is loaded.

    The files are read with DuckDB's read_csv (the seeds are only loaded later in the run), which
    skips a UTF-8 byte-order mark as dbt's seed loader does; which filter columns each method uses
    comes from definition_methods.csv alone. -#}
{% macro validate_definitions() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set methods_file = seed_file_path('definition_methods') -%}
    {%- set problems = [] -%}
    {%- set earlier_files = [] -%}
    {%- for kind in ['deployment', 'incident', 'rework'] -%}
        {%- set path = seed_file_path(kind ~ '_definitions') -%}
        {%- set header_problems = definition_header_problems(kind, path, methods_file) -%}
        {%- if header_problems -%}
            {%- do problems.extend(header_problems) -%}
        {%- else -%}
            {%- do problems.extend(definition_row_problems(kind, path, methods_file, earlier_files)) -%}
            {%- do earlier_files.append(path) -%}
        {%- endif -%}
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

{#- The path a person edits: in DORA_DEFINITIONS_DIR when set (dbt's seeds/ is a link to it). -#}
{% macro definition_file_name(path) %}
    {%- set directory = env_var('DORA_DEFINITIONS_DIR', '') -%}
    {{ return(directory.rstrip('/') ~ '/' ~ path.split('/')[-1] if directory else path) }}
{% endmacro %}

{#- A definition CSV as text: an empty cell is '' and a cell a short row lacks is null (the
    nullstr never occurs), so the cells of a row can be counted. -#}
{% macro read_definition_csv(path, header=true) -%}
    read_csv('{{ path }}', header = {{ header }}, all_varchar = true, delim = ',', quote = '"', escape = '"',
             null_padding = true, nullstr = '<dora: no cell>')
{%- endmacro %}

{#- The column names on the first line of a CSV file, as written (repeats included). -#}
{% macro csv_header(path) %}
    {%- set first_line = run_query("select * from " ~ read_definition_csv(path, header=false) ~ " limit 1") -%}
    {{ return(first_line.rows[0].values() | reject('none') | list) }}
{% endmacro %}

{% macro method_filters_sql(kind, methods_path) -%}
    select * from {{ read_definition_csv(methods_path) }} where kind = '{{ kind }}'
{%- endmacro %}

{#- The problems of a definition file's header; logs a notice naming the filter columns it lacks. -#}
{% macro definition_header_problems(kind, path, methods_path) %}
    {%- set file_name = definition_file_name(path) -%}
    {%- set header = csv_header(path) -%}
    {%- set filters = run_query("select filter from (" ~ method_filters_sql(kind, methods_path) ~ ") as methods").columns[0].values() | unique | list -%}
    {%- set problems = [] -%}
    {%- for name in header -%}
        {%- if name not in ['definition_id', 'method'] + filters -%}
            {%- do problems.append(file_name ~ " line 1: column '" ~ name ~ "' is unknown") -%}
        {%- elif name in header[:loop.index0] -%}
            {%- do problems.append(file_name ~ " line 1: column '" ~ name ~ "' appears twice") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in ['definition_id', 'method'] if name not in header -%}
        {%- do problems.append(file_name ~ " line 1: column '" ~ name ~ "' is missing") -%}
    {%- endfor -%}
    {%- set missing = filters | reject('in', header) | list -%}
    {%- if missing -%}
        {%- do log(file_name ~ ": no column " ~ missing | join(', ') ~ ": read as empty (`dora define upgrade` adds "
                   ~ ('it' if missing | length == 1 else 'them') ~ ")", info=True) -%}
    {%- endif -%}
    {{ return(problems) }}
{% endmacro %}

{#- The problems of the rows of a definition file whose header is valid; a definition_id must also
    not be used in an earlier file. -#}
{% macro definition_row_problems(kind, path, methods_path, earlier_files) %}
    {%- set file_name = definition_file_name(path) -%}
    {%- set header = csv_header(path) -%}
    {%- set filters = header | reject('in', ['definition_id', 'method']) | list -%}
    {%- set problems_sql -%}
        with

        numbered as (
            select row_number() over () + 1 as line, *
            from {{ read_definition_csv(path) }}
        ),

        cell_counts as (
            select line, count(*) as cells
            from (unpivot numbered on columns(* exclude (line)) into name column_name value cell) as present_cells
            group by line
        ),

        definitions as (
            select numbered.*
            from numbered
            inner join cell_counts on numbered.line = cell_counts.line
            where cell_counts.cells = {{ header | length }}
        ),

        method_filters as ({{ method_filters_sql(kind, methods_path) }}),

        earlier_ids as (
            {%- for earlier in earlier_files %}
            select '{{ definition_file_name(earlier).split('/')[-1] }}' as file_name, row_number() over () + 1 as line,
                trim(definition_id) as definition_id
            from {{ read_definition_csv(earlier) }}
            union all
            {%- endfor %}
            select null as file_name, null as line, null as definition_id where false
        ),

        filled_cells as (
            {%- if filters %}
            unpivot (select line, definition_id, method, {{ filters | join(', ') }} from definitions)
            on {{ filters | join(', ') }}
            into name filter value pattern
            {%- else %}
            select line, definition_id, method, null as filter, null as pattern from definitions where false
            {%- endif %}
        ),

        ragged_rows as (
            select line, null as definition_id, null as column_name,
                'has ' || cells || ' cells, the header has {{ header | length }}' as problem
            from cell_counts
            where cells <> {{ header | length }}
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
                    and trim(definition_id) not in (select definition_id from earlier_ids)
            ) as ids
            where line > first_line
        ),

        ids_used_earlier as (
            select definitions.line, definitions.definition_id, 'definition_id' as column_name,
                'is a duplicate (first used in ' || earlier.file_name || ' line ' || earlier.line || ')' as problem
            from definitions
            inner join (
                select file_name, definition_id, min(line) as line from earlier_ids group by file_name, definition_id
            ) as earlier
                on trim(definitions.definition_id) = earlier.definition_id
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

        never_matching_globs as (
            -- a bare '!' negates nothing; a '[' no ']' closes (main[) matches nothing
            select line, definition_id, filter as column_name,
                case when trimmed = '!' then 'is a bare ''!'' (it negates nothing)'
                     else 'has an unclosed ''['' in ''' || trimmed || '''' end as problem
            from (select *, trim(pattern) as trimmed from filled_cells) as cells
            where method in (select method from method_filters)
                and (trimmed = '!' or regexp_matches(
                    case when starts_with(trimmed, '!') then substr(trimmed, 2) else trimmed end,
                    '(^|[^\\])\[[^\]]*$'))
        ),

        missing_required_filters as (
            select definitions.line, definitions.definition_id, method_filters.filter as column_name,
                'is required by method ''' || definitions.method || '''' as problem
            from definitions
            inner join method_filters
                on definitions.method = method_filters.method and method_filters.required = 'true'
                and coalesce(method_filters.default_value, '') = ''
            left join filled_cells
                on definitions.line = filled_cells.line and method_filters.filter = filled_cells.filter
                and trim(filled_cells.pattern) <> ''
            where filled_cells.line is null
        ),

        problems as (
            select * from ragged_rows
            union all select * from empty_ids
            union all select * from duplicate_ids
            union all select * from ids_used_earlier
            union all select * from unknown_methods
            union all select * from unused_filters
            union all select * from never_matching_globs
            union all select * from missing_required_filters
        )

        select
            '{{ file_name }} line ' || line
            || case when column_name is null then ': ' || problem
                    else ' (definition_id ''' || coalesce(definition_id, '') || '''): column ''' || column_name
                         || ''' ' || problem end as message
        from problems
        order by line, column_name
    {%- endset -%}
    {{ return(run_query(problems_sql).columns[0].values() | list) }}
{% endmacro %}

{#- Post-hook of the definition seeds: adds, empty, the columns of column_types that the CSV file
    lacks (a file of an earlier version), so every model reads the same columns. -#}
{% macro add_missing_columns() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- for column, type in config.get('column_types', {}).items() if column not in present %}
    alter table {{ this }} add column {{ adapter.quote(column) }} {{ type }};
    {%- endfor %}
{% endmacro %}
