{#- Stops the run, before any seed is loaded or any history table is touched, when a definition
    file is invalid: an empty or duplicate definition_id, an unknown method, a filter column the
    method does not use, a missing required filter, a missing column. Every problem is listed as
    `<file> line <n> (definition_id '<id>'): column '<column>' ...` (line 1 is the header).

    It reads the CSV files themselves (the seeds are only loaded later in the run), in Jinja, so it
    runs the same on every warehouse; which filter columns each method uses comes from
    definition_methods.csv alone. -#}
{% macro validate_definitions() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set methods = read_csv_rows(seed_file_path('definition_methods'))[1] -%}
    {%- set problems = [] -%}
    {%- for kind in ['deployment', 'incident'] -%}
        {%- do problems.extend(definition_problems(kind, seed_file_path(kind ~ '_definitions'), methods)) -%}
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

{#- [header, rows] of a CSV file, each row a dict of text cells ('' when empty, as when dbt loads
    it as a seed: also 'null'). Read with agate, the CSV reader dbt loads seeds with; dbt's Jinja has
    no file reading of its own, so agate's Table.from_csv is reached through a query result (an
    agate table), whose text column type also gives every column of the file. -#}
{% macro read_csv_rows(path) %}
    {%- set probe = run_query("select 'text' as probe") -%}
    {%- set header = probe.from_csv(path, row_limit=0, encoding='utf-8-sig').column_names -%}
    {%- set text_columns = {} -%}
    {%- for column in header -%}
        {%- do text_columns.update({column: probe.column_types[0]}) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for row in probe.from_csv(path, column_types=text_columns, encoding='utf-8-sig').rows -%}
        {%- set cells = {} -%}
        {%- for column in header -%}
            {%- do cells.update({column: row[column] or ''}) -%}
        {%- endfor -%}
        {%- do rows.append(cells) -%}
    {%- endfor -%}
    {{ return([header | list, rows]) }}
{% endmacro %}

{#- The problems of one definition file, as messages, by line and column. -#}
{% macro definition_problems(kind, path, methods) %}
    {%- set file_name = path.split('/')[-2:] | join('/') -%}
    {%- set method_filters = {} -%}
    {%- for row in methods if row['kind'] == kind -%}
        {%- do method_filters.setdefault(row['method'], {}).update({row['filter']: row['required'] == 'true'}) -%}
    {%- endfor -%}
    {%- set known_methods = method_filters.keys() | sort -%}
    {%- set filters = [] -%}
    {%- for filter in method_filters.values() | map('list') | sum(start=[]) | unique | sort -%}
        {%- do filters.append(filter) -%}
    {%- endfor -%}
    {%- set header, definitions = read_csv_rows(path) -%}
    {%- set missing = [] -%}
    {%- for column in ['definition_id', 'method'] + filters if column not in header -%}
        {%- do missing.append(file_name ~ ": missing column '" ~ column ~ "'") -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ return(missing) }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set first_lines = {} -%}
    {%- for row in definitions -%}
        {%- set line = loop.index + 1 -%}
        {%- set found = [] -%}
        {%- set definition_id = row['definition_id'] | trim -%}
        {%- if definition_id == '' -%}
            {%- do found.append(['definition_id', 'is empty']) -%}
        {%- elif definition_id in first_lines -%}
            {%- do found.append(['definition_id', 'is a duplicate (first used on line ' ~ first_lines[definition_id] ~ ')']) -%}
        {%- else -%}
            {%- do first_lines.update({definition_id: line}) -%}
        {%- endif -%}
        {%- set method = row['method'] -%}
        {%- if method not in method_filters -%}
            {%- do found.append(['method', "has unknown method '" ~ method ~ "' (known: " ~ known_methods | join(', ') ~ ")"]) -%}
        {%- else -%}
            {%- for column in header if column not in ('definition_id', 'method') and row[column] | trim != ''
                                         and column not in method_filters[method] -%}
                {%- do found.append([column, "is not used by method '" ~ method ~ "'"]) -%}
            {%- endfor -%}
            {%- for filter, required in method_filters[method].items() if required and row[filter] | trim == '' -%}
                {%- do found.append([filter, "is required by method '" ~ method ~ "'"]) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for column, problem in found | sort -%}
            {%- do problems.append(file_name ~ ' line ' ~ line ~ " (definition_id '" ~ row['definition_id'] ~ "'): column '"
                                   ~ column ~ "' " ~ problem) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
