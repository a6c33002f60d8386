{#- The marks int_change_shipments keeps of the inputs of its last build (build_marks.sql), besides
    the state:
    - 'pull_request_history' / 'merge_request_history': the newest load stored;
    - 'deployment_history' per method: what int_deployments_mapped had read of it (its marks);
    - 'baseline' per repository: its first deployment. When it changes, the repository's
      shipments are recomputed whole (what the baseline ships is not a change). -#}
{% macro shipment_watermarks() %}
select 'pull_request_history' as mark, '' as part, cast(max(loaded_at) as varchar) as value
from {{ ref('pull_request_history') }}
union all
select 'merge_request_history', '', cast(max(loaded_at) as varchar) from {{ ref('merge_request_history') }}
union all
{{ deployment_history_seen_by(ref('int_deployments_mapped')) }}
union all
select 'baseline', repository, deployment_id from ({{ repository_baselines(ref('int_deployments_mapped')) }}) as baselines
{% endmacro %}

{#- Post-hooks of int_change_shipments, before its marks are rewritten: one row in
    `intermediate.int_change_shipments__replaced` per build that wrote rows, with the earliest
    deployment that shipped or used to ship one of them (`replaced_deployed_at`). A deployment
    that lost a PR is not among the rows any more; the deployments mart recomputes from the
    earliest such deployment logged since its own last build (deployment_marks.sql). A build that
    recomputed every PR (first, full refresh, state changed) logs the earliest time there is: all. -#}
{% macro create_replaced_log() %}
create table if not exists {{ side_table('replaced') }} (
    built_at {{ dbt.type_timestamp() }},
    deployed_at {{ dbt.type_timestamp() }}
)
{% endmacro %}

{% macro log_replaced() %}
{%- set built_at = build_started_at() %}
insert into {{ side_table('replaced') }} (built_at, deployed_at)
{%- if stored_marks() is none %}
select {{ built_at }}, {{ everything_before() }}
{%- else %}
select {{ built_at }}, min(least(deployed_at, replaced_deployed_at))
from {{ this }}
where built_at = {{ built_at }}
having min(least(deployed_at, replaced_deployed_at)) is not null
{%- endif %}
{% endmacro %}

{#- When this dbt invocation started, as a timestamp literal: the shipments' `built_at`. -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A time before any deployment: recompute from it is recompute everything. -#}
{% macro everything_before() -%}
    cast('0001-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}
