{#- What an incremental model after history remembers of the inputs of its last build, so that the
    next build recomputes only what new data can change (issue 18). Kept in
    `intermediate.<model>__marks` (mark, part, value; a mart's too, out of the BI tools' schema),
    rewritten by its post-hook (store_marks):
    - 'state': a hash of what changes rows across the board (build_state). When it differs, the
      next build recomputes everything (clear_when_rebuilding empties the table first).
    - a watermark per input read incrementally: the newest load (or build) of it that the build
      read, per part where an input's parts advance on their own (deployment history: per method).
    A model downstream of another incremental one takes that one's watermarks as its own (not the
    input's newest load): if that one was not rebuilt (a Dagster run of a subset of the assets, a
    failed test upstream), the next build still recomputes what it has not seen. -#}

{% macro marks_relation(model=none) %}
    {{ return(side_table('marks', model)) }}
{% endmacro %}

{#- `intermediate.<model>__<name>`: a table an incremental model keeps beside itself (its marks,
    what it replaced, what it read). -#}
{% macro side_table(name, model=none) %}
    {%- set model = model if model is not none else this -%}
    {{ return(api.Relation.create(database=model.database, schema='intermediate',
                                  identifier=model.identifier ~ '__' ~ name, type='table')) }}
{% endmacro %}

{#- A one-column query: the hash of what every incremental model after history depends on across
    the board: services.csv, the deployment definitions and methods, the repositories' current
    names, the deployment history's definitions version, and the code (code_version). -#}
{% macro build_state() %}
select md5(
    '{{ code_version() }}' ||
    {%- for inputs in [ref('services'), ref('deployment_definitions'), ref('definition_methods'),
                       ref('int_repository_names')] %}
    {{ rows_text(inputs) }} || '#' ||
    {%- endfor %}
    coalesce((select cast(max(definitions_version) as varchar) from {{ ref('deployment_history') }}), '')
) as state
{% endmacro %}

{#- A text of every row of `relation`, in a stable order ('' for none), to hash. -#}
{% macro rows_text(relation) -%}
    coalesce((select {{ dbt.listagg('cast(input_rows as varchar)', "'|'", 'order by cast(input_rows as varchar)') }}
              from {{ relation }} as input_rows), '')
{%- endmacro %}

{#- At the top of a model that keeps marks: the inputs build_state reads, for dbt's graph (it
    records a model's inputs while parsing, when the marks are not read). -#}
{% macro build_state_inputs() -%}
-- depends_on: {{ ref('services') }} {{ ref('deployment_definitions') }} {{ ref('definition_methods') }}
-- depends_on: {{ ref('int_repository_names') }} {{ ref('deployment_history') }}
{%- endmacro %}

{#- A hash of every model's SQL and of `rules_version`, the version of the macros (dbt shows a
    model its models' code, not its macros'): raise it when a macro that decides the incremental
    models' rows changes (build_marks.sql, shipment_marks.sql, reshipping.sql,
    deployment_cutoffs.sql, or one they or the models call). After an upgrade, the incremental
    models are recomputed whole. -#}
{% macro code_version() %}
    {%- set rules_version = 3 -%}
    {%- if not execute -%}
        {{ return('') }}  {#- parsing: the graph is not there yet #}
    {%- endif -%}
    {%- set code = [rules_version | string] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- do code.append(node.raw_code) -%}
    {%- endfor -%}
    {{ return(local_md5(code | sort | join('|'))) }}
{% endmacro %}

{#- The last build's marks, when an incremental build can go on from them: a dict mark -> {part:
    value}, or none (first build, or the state changed: recompute everything). -#}
{% macro stored_marks() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set expected = marks_relation() -%}
    {%- if adapter.get_relation(expected.database, expected.schema, expected.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = {} -%}
    {%- for mark, part, value in run_query('select mark, part, value from ' ~ expected).rows -%}
        {%- do found.setdefault(mark, {}).update({part: value}) -%}
    {%- endfor -%}
    {%- if found.get('state', {}).get('') != run_query(build_state()).columns[0].values()[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}

{#- A condition: `column` (a load id, or of type `type`) is newer than the watermark `mark` of the
    marks, per `part_column` when the mark has parts (a part without a watermark: everything). -#}
{% macro newer_than(marks, mark, column, part_column=none, type='decimal(18, 6)') %}
    {%- set watermarks = {} -%}
    {%- for part, value in marks.get(mark, {}).items() if value is not none -%}
        {%- do watermarks.update({part: value}) -%}
    {%- endfor -%}
    {%- if part_column is none -%}
        {%- set value = watermarks.get('') -%}
        {%- if value is none -%} true
        {%- else -%} {{ column }} > cast('{{ value }}' as {{ type }})
        {%- endif -%}
    {%- elif not watermarks -%} true
    {%- else -%}
        ({{ part_column }} not in ('{{ watermarks.keys() | join("', '") }}') or {{ column }} > case {{ part_column }}
        {%- for part, value in watermarks.items() %} when '{{ part }}' then cast('{{ value }}' as {{ type }}){% endfor %} end)
    {%- endif -%}
{% endmacro %}

{#- Pre-hook: a build that recomputes everything first empties the table (a row with nothing to
    replace it, e.g. of a record that no longer counts, would stay). -#}
{% macro clear_when_rebuilding() %}
    {%- if stored_marks() is none -%}
        {{ delete_recomputed(none) }}
    {%- endif -%}
{% endmacro %}

{#- Pre-hook of a model that appends the rows it recomputes: delete them first (`condition`, SQL),
    or every row when `condition` is none (the state changed, or no marks: all are recomputed). -#}
{% macro delete_recomputed(condition) %}
    {%- if is_incremental() -%}
        delete from {{ this }}{% if condition is not none %} where {{ condition }}{% endif %}
    {%- endif -%}
{% endmacro %}

{#- Post-hook (after `drop table if exists` the marks): the marks of the inputs this build read,
    after the state; `watermarks` is a query of (mark, part, value) rows. -#}
{% macro store_marks(watermarks) %}
create table {{ marks_relation() }} as
select 'state' as mark, '' as part, state as value from ({{ build_state() }}) as current_state
union all
{{ watermarks }}
{% endmacro %}

{#- For a model reading deployment history, given its marks (its own, or those it took from
    int_deployments_mapped): a condition on a history row, `alias` its name in the query, that
    holds when it was loaded since; none without marks. -#}
{% macro history_loaded_since(marks, alias=none) -%}
    {%- if marks is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {{ newer_than(marks, 'deployment_history', prefix ~ 'loaded_at', prefix ~ 'method') }}
{%- endmacro %}

{#- The same as a condition on `deployment_id` (a history row's candidate_id). -#}
{% macro deployment_id_loaded_since(marks) -%}
    {%- if marks is none -%}
        {{ return(none) }}
    {%- endif -%}
    deployment_id in (select candidate_id from {{ ref('deployment_history') }} where {{ history_loaded_since(marks) }})
{%- endmacro %}

{#- The newest load per method of deployment history, as (mark, part, value) rows. -#}
{% macro deployment_history_watermarks() %}
select 'deployment_history' as mark, method as part, cast(max(loaded_at) as varchar) as value
from {{ ref('deployment_history') }}
group by method
{% endmacro %}

{#- The watermarks of deployment history that `model` (an incremental model reading it) read, as
    (mark, part, value) rows: for a model downstream of it, what it has seen of that history. -#}
{% macro deployment_history_seen_by(model) %}
select mark, part, value from {{ marks_relation(model) }}
where mark = 'deployment_history'
{% endmacro %}
