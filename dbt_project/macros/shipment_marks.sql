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
