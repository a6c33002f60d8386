{#- What int_change_shipments remembers of the inputs of its last build, so that the next build
    recomputes only what new data can change (issue 18). Kept beside it, in `<model>__marks`
    (mark, part, value), written by its post-hook:
    - 'state': a hash of everything that changes shipments across the board: services.csv, the
      deployment definitions and methods, the repositories' current names, the deployment
      history's definitions version, and the code. When it differs, the next build recomputes
      everything.
    - 'pull_request_history' / 'merge_request_history': the newest load stored; 'deployment_history'
      per method (as the history's own watermark: each method's candidates load on their own).
    - 'baseline' per repository: its first deployment. When it changes, the repository's
      shipments are recomputed whole (what the baseline ships is not a change). -#}

{% macro shipment_marks_relation() %}
    {{ return(api.Relation.create(database=this.database, schema=this.schema,
                                  identifier=this.identifier ~ '__marks', type='table')) }}
{% endmacro %}

{#- A one-column query: the hash of what shipments depend on across the board, their code
    included (shipment_code_version): after an upgrade, the shipments and the changes mart are
    recomputed whole. -#}
{% macro shipment_state() %}
select md5(
    '{{ shipment_code_version() }}' ||
    {%- for inputs in [ref('services'), ref('deployment_definitions'), ref('definition_methods'),
                       ref('int_repository_names')] %}
    coalesce((select {{ dbt.listagg('cast(input_rows as varchar)', "'|'", 'order by cast(input_rows as varchar)') }}
              from {{ inputs }} as input_rows), '') || '#' ||
    {%- endfor %}
    coalesce((select cast(max(definitions_version) as varchar) from {{ ref('deployment_history') }}), '')
) as state
{% endmacro %}

{#- A hash of the code that decides the rows of the shipments and of the changes mart: the two
    models' SQL and the version of the rules in this file, reshipping.sql and deployment_cutoffs.sql
    (dbt shows a model its models' code, not its macros'): raise it when those rules change. -#}
{% macro shipment_code_version() %}
    {%- set rules_version = 1 -%}
    {%- if not execute -%}
        {{ return('') }}  {#- parsing: the graph is not there yet #}
    {%- endif -%}
    {%- set code = [rules_version | string] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
                                             and node.name in ('int_change_shipments', 'changes') -%}
        {%- do code.append(node.raw_code) -%}
    {%- endfor -%}
    {{ return(local_md5(code | sort | join('|'))) }}
{% endmacro %}

{#- The last build's marks, when an incremental build can go on from them: a dict of SQL literals
    ('pull_request_history', 'merge_request_history': a load id; 'deployment_history': a list of
    CASE branches `when '<method>' then <load id>`), or none (first build, or the state changed:
    recompute everything). -#}
{% macro stored_shipment_marks() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set expected = shipment_marks_relation() -%}
    {%- set marks = adapter.get_relation(expected.database, expected.schema, expected.identifier) -%}
    {%- if marks is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = run_query('select mark, part, value from ' ~ marks ~ " where mark <> 'baseline'").rows -%}
    {%- set current = run_query(shipment_state()).columns[0].values()[0] -%}
    {%- set found = {} -%}
    {%- set per_method = [] -%}
    {%- for mark, part, value in stored -%}
        {%- set literal = "cast('" ~ value ~ "' as decimal(18, 6))" if value is not none else '-1' -%}
        {%- if mark == 'deployment_history' -%}
            {%- do per_method.append("when '" ~ part ~ "' then " ~ literal) -%}
        {%- else -%}
            {%- do found.update({mark: literal if mark != 'state' else value}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found.get('state') != current -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do found.update({'deployment_history': per_method}) -%}
    {{ return(found) }}
{% endmacro %}

{#- Pre-hook: a build that recomputes everything first empties the table (a change no longer
    shipped, or of a repository no longer deployed, has nothing to replace its row). -#}
{% macro clear_shipments_to_rebuild() %}
    {%- if is_incremental() and stored_shipment_marks() is none -%}
        delete from {{ this }}
    {%- endif -%}
{% endmacro %}

{#- Post-hook (after `drop table if exists` the marks): the marks of the inputs this build read. -#}
{% macro store_shipment_marks() %}
create table {{ shipment_marks_relation() }} as
select 'state' as mark, '' as part, state as value from ({{ shipment_state() }}) as current_state
union all
select 'pull_request_history', '', cast(max(loaded_at) as varchar) from {{ ref('pull_request_history') }}
union all
select 'merge_request_history', '', cast(max(loaded_at) as varchar) from {{ ref('merge_request_history') }}
union all
select 'deployment_history', method, cast(max(loaded_at) as varchar) from {{ ref('deployment_history') }}
group by method
union all
select 'baseline', repository, deployment_id from ({{ repository_baselines(ref('int_deployments_mapped')) }}) as baselines
{% endmacro %}
