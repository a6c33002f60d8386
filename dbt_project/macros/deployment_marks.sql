{#- What the incremental deployments mart keeps of the inputs of its last build (build_marks.sql),
    and from when it recomputes. A deployment's row depends on its own mapping, on the PRs it
    shipped (rework, monorepo services), on the rework definitions, and on the incidents: those
    attributed to it (failure) and those of its services open when it was deployed (rework).
    Marks, besides the state:
    - 'deployment_history' per method: what int_deployments_mapped had read of it;
    - 'shipments_replaced': the newest build of int_change_shipments__replaced read;
    - 'rework_definitions': a hash of rework_definitions.csv (an edit recomputes everything).
    And `intermediate.deployments__incidents`: int_incident_spans as this build read it. -#}

{% macro deployment_watermarks() %}
{{ deployment_history_seen_by(ref('int_deployments_mapped')) }}
union all
select 'shipments_replaced', '', cast(max(built_at) as varchar)
from {{ side_table('replaced', ref('int_change_shipments')) }}
union all
select 'rework_definitions', '', {{ rework_definitions_hash() }}
{% endmacro %}

{#- A hash of rework_definitions.csv's rows (an edit of it recomputes every deployment). -#}
{% macro rework_definitions_hash() -%}
    md5({{ rows_text(ref('rework_definitions')) }})
{%- endmacro %}

{#- Post-hook: keep int_incident_spans as this build read it. -#}
{% macro keep_incidents_read() %}
create table {{ side_table('incidents') }} as
select * from {{ ref('int_incident_spans') }}
{% endmacro %}

{#- The time from which the deployments mart recomputes its rows, as a SQL timestamp literal, or
    none to recompute every row (no marks, the state or the rework definitions changed). Every row
    of a deployment before it is as it would be rebuilt: since the last build
    - no deployment before it was loaded again, moved from before it, or deleted (its time before and
      after: the history rows loaded since, in int_deployments_mapped and in this table);
    - no PR shipped by one before it was shipped again (int_change_shipments__replaced: the
      earliest deployment each build of the shipments wrote or took a PR from);
    - no incident changed when it was open, its service, its deployment or its reason, where it
      was open or attributed before it (int_incident_spans against the copy of the last build:
      an incident reaches the deployments of its service from its creation on, and the one it is
      attributed to, wherever that is).
    Nothing changed: a time after every deployment. -#}
{% macro deployments_recomputed_from(marks) %}
    {%- if marks is none or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set incidents_read = side_table('incidents') -%}
    {%- if adapter.get_relation(incidents_read.database, incidents_read.schema, incidents_read.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rework = run_query('select ' ~ rework_definitions_hash()).columns[0].values()[0] -%}
    {%- if rework != marks.get('rework_definitions', {}).get('') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
    with

    changed_incidents as (
        select
            current_spans.created_at, current_spans.deployed_at,
            read_spans.created_at as read_created_at, read_spans.deployed_at as read_deployed_at
        from {{ ref('int_incident_spans') }} as current_spans
        full outer join {{ incidents_read }} as read_spans on current_spans.incident_id = read_spans.incident_id
        where current_spans.incident_id is null or read_spans.incident_id is null
            {%- for column in ['service', 'created_at', 'resolved_at', 'deployment_id', 'deployed_at', 'failure_reason'] %}
            or current_spans.{{ column }} is distinct from read_spans.{{ column }}
            {%- endfor %}
    ),

    reached as (
        select deployed_at from {{ ref('int_deployments_mapped') }} where {{ deployment_id_loaded_since(marks) }}
        union all
        select deployed_at from {{ this }} where {{ deployment_id_loaded_since(marks) }}
        union all
        select deployed_at from {{ side_table('replaced', ref('int_change_shipments')) }}
        where {{ newer_than(marks, 'shipments_replaced', 'built_at', type=dbt.type_timestamp()) }}
        union all
        select least(created_at, deployed_at, read_created_at, read_deployed_at) from changed_incidents
    )

    select cast(min(deployed_at) as varchar) from reached
    {%- endset -%}
    {%- set earliest = run_query(query).columns[0].values()[0] -%}
    {{ return("cast('" ~ (earliest if earliest is not none else '9999-12-31 00:00:00') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}

{#- A condition on `deployed_at`: from `recomputed_from` (a literal) on; none for every row. -#}
{% macro deployments_from(recomputed_from) -%}
    {%- if recomputed_from is none -%}
        {{ return(none) }}
    {%- endif -%}
    deployed_at >= {{ recomputed_from }}
{%- endmacro %}
