{#- The body of a history model (deployment_history, incident_history): every candidate record of
    one kind, flagged `is_<kind>` when some definition matches it, kept forever.

    - Matching: a definition matches a candidate of its method when every filter matches (AND,
      rules in definition_filters.sql; an empty cell takes the method's default from
      definition_methods.csv); a candidate counts when any definition matches (OR), once:
      `definition_id` is the alphabetically first matching definition.
    - Events (`event_filter=(filter, events)`; deployments: ('state',
      ref('int_deployment_candidate_events'))): a candidate with rows in `events` (candidate_id,
      method, occurred_at, value, url, loaded_at: a GitHub deployment's statuses) matches `filter`
      when one of its events' values does, and counts once, at the earliest such event of its
      (first) matching definition: that event's time and url replace the candidate's deployed_at
      and url. A later event (the deployment marked inactive) adds nothing and removes nothing. A
      candidate without events is matched on its `filter` column as usual.
    - Incremental: an ordinary run evaluates only candidates loaded (dlt load id) after the newest
      one already stored for their method. When the definitions (or method defaults) differ from
      the ones of the last evaluation (`definitions_hash`), every candidate still present at the
      source is re-evaluated under a new `definitions_version`. Rows whose source is gone are never
      touched, and no column depends on the clock, so the same input gives the same table.
    Models using this must be incremental with unique_key candidate_id and full_refresh: false. -#}
{% macro durable_history(kind, candidates, definitions, filters, list_filters={}, event_filter=none) %}
{%- set event_filter_name, events = event_filter if event_filter else (none, none) -%}
{%- set evaluation = stored_evaluation(kind, definitions, filters) if is_incremental() else none -%}
{#- an ordinary incremental run evaluates only the loads newer than this (a literal: see below) -#}
{%- set newest_stored_load = stored_load_watermark(per='method')
    if evaluation is not none and not evaluation.is_reevaluation else none -%}
with

{{ definitions_ctes(kind, definitions, filters) }},

definition_patterns as materialized (
    {{ definition_patterns('effective_definitions', filters) }}
),

{% if evaluation is not none %}
evaluation as (
    -- decided before the query runs (stored_evaluation), like the filter on new loads, which then
    -- reaches the raw table scans
    select '{{ evaluation.hash }}' as definitions_hash, {{ evaluation.version }} as definitions_version
),
{% else %}
evaluation as (
    select definitions_hash, 1 as definitions_version
    from current_definitions
),
{% endif %}

candidates as materialized (
    -- the candidates evaluated now, computed once for the matching and the final select; the filter
    -- on new loads inside the materialized CTE, where it reaches the raw table scans (DuckDB
    -- materializes a CTE read twice before it applies a filter outside it: every merged PR's
    -- columns computed and spilled to keep the new ones)
    select * from {{ candidates }} as all_candidates
    {%- if newest_stored_load is not none %}
    where all_candidates.loaded_at > {{ newest_stored_load }}
    {%- endif %}
),

{% if events %}
events as (
    -- the events of the candidates evaluated now
    select * from {{ events }} as all_events
    {%- if newest_stored_load is not none %}
    where all_events.loaded_at > {{ newest_stored_load }}
    {%- endif %}
),
{% endif %}

definition_matches as (
    -- each definition that matches a candidate ({% if events %}a candidate with events: at each event it matches{% else %}once{% endif %})
    select
        candidates.candidate_id,
        definition_patterns.definition_id
        {%- if events %},
        events.occurred_at as event_at,
        events.url as event_url
        {%- endif %}
    from candidates
    inner join definition_patterns
        on candidates.method = definition_patterns.method
    {%- if events %}
    left join events
        on candidates.candidate_id = events.candidate_id
    {%- endif %}
    where
        {%- for filter in filters %}
        {% if filter in list_filters -%}
        {{ any_value_matches('candidates.' ~ list_filters[filter], 'definition_patterns.' ~ filter) }}
        {%- elif filter == event_filter_name -%}
        {{ filter_matches('case when events.candidate_id is null then candidates.' ~ filter ~ ' else events.value end',
                          'definition_patterns.' ~ filter) }}
        {%- else -%}
        {{ filter_matches('candidates.' ~ filter, 'definition_patterns.' ~ filter) }}
        {%- endif %}
        {{- ' and' if not loop.last }}
        {%- endfor %}
),

matches as (
    -- the alphabetically first matching definition{{ ', at its earliest matching event' if events }}
    {%- if events %}
    select candidate_id, definition_id, event_at, event_url
    from (
        select
            definition_matches.*,
            row_number() over (partition by candidate_id order by definition_id, event_at) as match_order
        from definition_matches
    ) as ordered_matches
    where match_order = 1
    {%- else %}
    select candidate_id, min(definition_id) as definition_id
    from definition_matches
    group by candidate_id
    {%- endif %}
),

final as (
    select
        candidates.candidate_id,
        {%- for column, type in candidate_shape(kind) %}
        {%- if events and column == 'deployed_at' %}
        coalesce(matches.event_at, candidates.deployed_at) as deployed_at,
        {%- elif events and column == 'url' %}
        case when matches.event_at is null then candidates.url else matches.event_url end as url,
        {%- else %}
        candidates.{{ column }},
        {%- endif %}
        {%- endfor %}
        matches.candidate_id is not null as is_{{ kind }},
        matches.definition_id,
        evaluation.definitions_hash,
        cast(evaluation.definitions_version as integer) as definitions_version
    from candidates
    left join matches on candidates.candidate_id = matches.candidate_id
    cross join evaluation
)

select * from final
{% endmacro %}

{#- The definitions as evaluated (CTEs effective_definitions, current_definitions: the hash of
    the effective definitions). -#}
{% macro definitions_ctes(kind, definitions, filters) %}
effective_definitions as (
    {{ effective_definitions(definitions, kind, filters) }}
),

current_definitions as (
    select md5(coalesce(
        (select {{ dbt.listagg('cast(effective_definitions as varchar)', "'|'", 'order by definition_id') }}
         from effective_definitions),
        ''
    )) as definitions_hash
)
{% endmacro %}

{#- An incremental run's evaluation, read before its query runs: the current definitions' hash,
    whether it differs from the newest stored one (then every candidate still at the source is
    re-evaluated, under the next version) and the version. Inlined as literals, the filter on new
    loads reaches the raw table scans on Postgres too (1 M PRs: 6 s instead of 45 s). -#}
{% macro stored_evaluation(kind, definitions, filters) %}
    {%- if not execute -%}
        {{ return({'hash': '', 'version': 1, 'is_reevaluation': true}) }}
    {%- endif -%}
    {%- set current = run_query('with ' ~ definitions_ctes(kind, definitions, filters)
                                ~ ' select definitions_hash from current_definitions').columns[0].values()[0] -%}
    {%- set stored = run_query('select definitions_hash, definitions_version from ' ~ this
                               ~ ' order by definitions_version desc limit 1').rows -%}
    {%- set changed = not stored or stored[0][0] != current -%}
    {%- set version = (stored[0][1] if stored else 0) + (1 if changed else 0) -%}
    {{ return({'hash': current, 'version': version, 'is_reevaluation': changed}) }}
{% endmacro %}
