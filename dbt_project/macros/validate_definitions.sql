{#- Reading and checking the definition files (the rules of dora/core/definitions.py, which
    tests/test_definitions_in_dbt.py runs on the same cases as these macros).

    validate_definitions() stops the run, before any seed is loaded or any history table is touched,
    when a definition file is invalid: an unknown or repeated column, no definition_id or method
    column, a row with more or fewer cells than the header, an empty or duplicate definition_id
    (across the deployment, incident and rework files), an unknown method, a filter column the
    method does not use, a missing required filter, a glob that can never match (an unclosed `[`,
    a bare `!`), a column of role `name` (definition_methods.csv: a deployment's `service` outside
    method custom) naming a service services.csv does not have. Every problem is listed as
    `<file> line <n> (definition_id '<id>'): column '<column>' ...` (line 1 is the header), <file>
    being the file's real path (DORA_DEFINITIONS_DIR, which dora links the seeds to). A filter
    column the file lacks (a file of an earlier version) is no error: a notice names it, and the
    seed's post-hook add_missing_columns() adds it empty once the seed is loaded.

    The checks run in Jinja, on the files themselves (the seeds are only loaded later in the run,
    and a Postgres server cannot read files where dbt runs), so they are the same on every
    warehouse; which filter columns each method uses comes from definition_methods.csv alone. -#}
{% macro validate_definitions() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set methods = csv_records(seed_file_path('definition_methods')) -%}
    {%- set services = csv_records(seed_file_path('services')).rows | map(attribute='service') | reject('eq', '')
                       | unique | sort -%}
    {%- set problems = [] -%}
    {%- set earlier_ids = {} -%}
    {%- for kind in ['deployment', 'incident', 'rework'] -%}
        {%- set path = seed_file_path(kind ~ '_definitions') -%}
        {%- set method_filters = {} -%}
        {%- set method_names = {} -%}
        {%- for row in methods.rows if row['kind'] == kind -%}
            {%- do method_filters.setdefault(row['method'], {}).update(
                {row['filter']: row['required'] == 'true' and row['default_value'] == ''}) -%}
            {%- if (row.get('role') or '') == 'name' -%}
                {%- do method_names.setdefault(row['method'], []).append(row['filter']) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set definitions = csv_records(path) -%}
        {#- the file's columns in the order definition_methods.csv first names them (dora define's order) -#}
        {%- set filters = methods.rows | selectattr('kind', 'eq', kind) | map(attribute='filter') | unique | list -%}
        {%- set header_problems = definition_header_problems(path, definitions.header, filters) -%}
        {%- if header_problems -%}
            {%- do problems.extend(header_problems) -%}
        {%- else -%}
            {%- do problems.extend(definition_row_problems(path, definitions, method_filters, earlier_ids,
                                                           method_names, services)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do problems.extend(services_problems(seed_file_path('services'))) -%}
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

{#- A CSV file as {header, rows, lines, cell_counts}: its header's names as written (repeats
    included), each non-empty line's cells by name ('' for a cell the line lacks), the line numbers
    (line 1: the header) and how many cells each line has, so a ragged line can be told apart.
    dbt's Jinja has no file reading of its own: the lines are read with agate (dbt's CSV reader,
    reached through a query result, an agate table) whole, one line a cell, skipping a UTF-8
    byte-order mark; a line is split into cells (`"..."` quoted, `""` an escaped quote) here. -#}
{% macro csv_records(path) %}
    {%- set probe = run_query("select 'text' as line") -%}
    {%- set raw = probe.from_csv(path, header=False, column_names=['line'], column_types={'line': probe.column_types[0]},
                                 encoding='utf-8-sig', delimiter='\x1f', quoting=3) -%}
    {%- set records = {'header': none, 'rows': [], 'lines': [], 'cell_counts': []} -%}
    {%- for row in raw.rows -%}
        {%- set cells = [] -%}
        {%- for cell in modules.re.findall('(?:^|(?<=,))("(?:[^"]|"")*"|[^,]*)', row['line'] or '') -%}
            {%- do cells.append(cell[1:-1].replace('""', '"') if cell.startswith('"') and cell.endswith('"') and cell | length > 1 else cell) -%}
        {%- endfor -%}
        {%- if not row['line'] -%}
        {%- elif records.header is none -%}
            {%- do records.update({'header': cells}) -%}
        {%- else -%}
            {%- set by_name = {} -%}
            {%- for name in records.header -%}
                {%- do by_name.update({name: cells[loop.index0] if loop.index0 < cells | length else ''}) -%}
            {%- endfor -%}
            {%- do records.rows.append(by_name) -%}
            {%- do records.lines.append(loop.index) -%}
            {%- do records.cell_counts.append(cells | length) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do records.update({'header': records.header or []}) -%}
    {{ return(records) }}
{% endmacro %}

{#- The problems of a definition file's header; logs a notice naming the filter columns it lacks. -#}
{% macro definition_header_problems(path, header, filters) %}
    {%- set file_name = definition_file_name(path) -%}
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

{#- Why a filter cell can never match what was meant, or none: a bare '!' negates nothing; a '['
    that no ']' closes (main[) matches nothing. -#}
{% macro never_matching_glob(pattern) %}
    {%- if pattern == '!' -%}
        {{ return("is a bare '!' (it negates nothing)") }}
    {%- elif modules.re.search('(^|[^\\\\])\\[[^\\]]*$', pattern[1:] if pattern.startswith('!') else pattern) -%}
        {{ return("has an unclosed '[' in '" ~ pattern ~ "'") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{#- The problems of the rows of a definition file whose header is valid. `earlier_ids` (id ->
    [file name, line]) holds the ids of the files checked before: an id must not repeat them.
    `method_names` (method -> columns of role `name`): those cells must name one of `services`. -#}
{% macro definition_row_problems(path, definitions, method_filters, earlier_ids, method_names, services) %}
    {%- set file_name = definition_file_name(path) -%}
    {%- set header = definitions.header -%}
    {%- set known_methods = method_filters.keys() | sort | join(', ') -%}
    {%- set problems = [] -%}
    {%- set first_lines = {} -%}
    {%- for row in definitions.rows -%}
        {%- set line = definitions.lines[loop.index0] -%}
        {%- set found = [] -%}
        {%- set definition_id = row['definition_id'] | trim -%}
        {%- if definitions.cell_counts[loop.index0] != header | length -%}
            {%- do problems.append(file_name ~ ' line ' ~ line ~ ': has ' ~ definitions.cell_counts[loop.index0]
                                   ~ ' cells, the header has ' ~ header | length) -%}
        {%- elif definition_id == '' -%}
            {%- do found.append(['definition_id', 'is empty']) -%}
        {%- elif definition_id in earlier_ids -%}
            {%- do found.append(['definition_id', 'is a duplicate (first used in ' ~ earlier_ids[definition_id][0]
                                 ~ ' line ' ~ earlier_ids[definition_id][1] ~ ')']) -%}
        {%- elif definition_id in first_lines -%}
            {%- do found.append(['definition_id', 'is a duplicate (first used on line ' ~ first_lines[definition_id] ~ ')']) -%}
        {%- else -%}
            {%- do first_lines.update({definition_id: line}) -%}
        {%- endif -%}
        {%- set method = row['method'] -%}
        {%- if definitions.cell_counts[loop.index0] != header | length -%}
        {%- elif method not in method_filters -%}
            {%- do found.append(['method', "has unknown method '" ~ method ~ "' (known: " ~ known_methods ~ ")"]) -%}
        {%- else -%}
            {%- for column in header if column not in ('definition_id', 'method') and row[column] | trim != '' -%}
                {%- set problem = never_matching_glob(row[column] | trim) -%}
                {%- if column not in method_filters[method] -%}
                    {%- do found.append([column, "is not used by method '" ~ method ~ "'"]) -%}
                {%- elif column in method_names.get(method, []) -%}
                    {%- if row[column] | trim not in services -%}
                        {%- do found.append([column, "names service '" ~ row[column] | trim ~ "', which services.csv does not have"
                                             ~ " (its services: " ~ (services | join(', ') or 'none') ~ ")"]) -%}
                    {%- endif -%}
                {%- elif problem -%}
                    {%- do found.append([column, problem]) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for filter, required in method_filters[method].items() if required and (row.get(filter) or '') | trim == '' -%}
                {%- do found.append([filter, "is required by method '" ~ method ~ "'"]) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for column, problem in found | sort -%}
            {%- do problems.append(file_name ~ ' line ' ~ line ~ " (definition_id '" ~ row['definition_id'] ~ "'): column '"
                                   ~ column ~ "' " ~ problem) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for definition_id, line in first_lines.items() -%}
        {%- do earlier_ids.update({definition_id: [path.split('/')[-1], line]}) -%}
    {%- endfor -%}
    {{ return(problems) }}
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

{#- The problems of services.csv's `paths` cells: each space-separated glob is checked like a
    definition filter cell (never_matching_glob). A file of an earlier version without the column
    is no error: a notice names it, and int_services reads it as empty. -#}
{% macro services_problems(path) %}
    {%- set file_name = definition_file_name(path) -%}
    {%- set services = csv_records(path) -%}
    {%- set problems = [] -%}
    {%- if 'paths' not in services.header -%}
        {%- do log(file_name ~ ": no column paths: read as empty (every row maps whole repositories)", info=True) -%}
    {%- endif -%}
    {%- for row in services.rows -%}
        {%- set line = services.lines[loop.index0] -%}
        {%- for glob in (row.get('paths') or '').split() -%}
            {%- set problem = never_matching_glob(glob) -%}
            {%- if problem -%}
                {%- do problems.append(file_name ~ " line " ~ line ~ " (service '" ~ row['service'] ~ "'): column 'paths' "
                                       ~ problem) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
