{#- The body of a history model (deployment_history, incident_history): every candidate record of
    one kind, flagged `is_<kind>` when some definition matches it, kept forever.

    - Matching: a definition matches a candidate of its method when every filter matches (AND,
      rules in definition_filters.sql; an empty cell takes the method's default from
      definition_methods.csv); a candidate counts when any definition matches (OR), once:
      `definition_id` is the alphabetically first matching definition.
    - Events (`event_filter=(filter, list column)`; deployments: ('state', 'state_events')): a
      candidate carrying a list of events (struct occurred_at, value, url: a GitHub deployment's
      status history) matches `filter` when one of its events' values does, and counts once, at the
      earliest such event of its (first) matching definition: that event's time and url replace
      the candidate's deployed_at and url; the list itself is not stored. A later event (the
      deployment marked inactive) adds nothing and removes nothing. A candidate whose list is
      null is matched on its `filter` column as usual.
    - Incremental: an ordinary run evaluates only candidates loaded (dlt load id) after the newest
      one already stored for their method. When the definitions (or method defaults) differ from
      the ones of the last evaluation (`definitions_hash`), every candidate still present at the
      source is re-evaluated under a new `definitions_version`. Rows whose source is gone are never
      touched, and no column depends on the clock, so the same input gives the same table.
    Models using this must be incremental with unique_key candidate_id and full_refresh: false. -#}
{% macro durable_history(kind, candidates, definitions, filters, list_filters={}, event_filter=none) %}
{%- set event_filter_name, events = event_filter if event_filter else (none, none) %}
with

all_candidates as (
    select * from {{ candidates }}
),

definitions as (
    select * from {{ definitions }}
),

method_filters as (
    select * from {{ ref('definition_methods') }}
    where kind = '{{ kind }}'
),

effective_definitions as (
    -- an empty cell takes the method's default (e.g. workflow_run conclusion = success)
    select
        definitions.definition_id,
        definitions.method,
        {%- for filter in filters %}
        coalesce(
            nullif(trim(definitions.{{ filter }}), ''),
            (select default_value from method_filters
             where method_filters.method = definitions.method and method_filters.filter = '{{ filter }}')
        ) as {{ filter }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from definitions
),

current_definitions as (
    select md5(coalesce(
        (select string_agg(effective_definitions::varchar, '|' order by definition_id) from effective_definitions),
        ''
    )) as definitions_hash
),

{% if is_incremental() %}
last_evaluation as (
    select definitions_hash, definitions_version
    from {{ this }}
    order by definitions_version desc
    limit 1
),

evaluation as (
    select
        current_definitions.definitions_hash,
        last_evaluation.definitions_hash is distinct from current_definitions.definitions_hash as is_reevaluation,
        coalesce(last_evaluation.definitions_version, 0)
            + case when last_evaluation.definitions_hash is distinct from current_definitions.definitions_hash
                   then 1 else 0 end as definitions_version
    from current_definitions
    left join last_evaluation on true
),

candidates as (
    select all_candidates.*
    from all_candidates
    cross join evaluation
    where evaluation.is_reevaluation
       or all_candidates.loaded_at > {{ stored_load_watermark(per='method') }}
),
{% else %}
evaluation as (
    select definitions_hash, 1 as definitions_version
    from current_definitions
),

candidates as (
    select * from all_candidates
),
{% endif %}

definition_matches as (
    select
        candidates.candidate_id,
        effective_definitions.definition_id
        {%- if events %},
        -- the earliest event the definition names (null: none does, or the candidate has no events)
        list_min(list_filter(
            candidates.{{ events }},
            lambda entry: {{ filter_matches('entry.value', 'effective_definitions.' ~ event_filter_name) }}
        )) as matched_event
        {%- endif %}
    from candidates
    inner join effective_definitions
        on candidates.method = effective_definitions.method
    where
        {%- for filter in filters %}
        {% if filter in list_filters -%}
        {{ any_value_matches('candidates.' ~ list_filters[filter], 'effective_definitions.' ~ filter) }}
        {%- elif filter == event_filter_name -%}
        (case when candidates.{{ events }} is null
              then {{ filter_matches('candidates.' ~ filter, 'effective_definitions.' ~ filter) }}
              else len(list_filter(
                  candidates.{{ events }},
                  lambda entry: {{ filter_matches('entry.value', 'effective_definitions.' ~ filter) }}
              )) > 0
         end)
        {%- else -%}
        {{ filter_matches('candidates.' ~ filter, 'effective_definitions.' ~ filter) }}
        {%- endif %}
        {{- ' and' if not loop.last }}
        {%- endfor %}
),

matches as (
    select
        candidate_id,
        min(definition_id) as definition_id
        {%- if events %},
        arg_min(matched_event, definition_id) as matched_event
        {%- endif %}
    from definition_matches
    group by candidate_id
),

final as (
    select
        {%- if events %}
        candidates.* exclude ({{ events }}) replace (
            coalesce(struct_extract(matches.matched_event, 'occurred_at'), candidates.deployed_at) as deployed_at,
            case when matches.matched_event is null then candidates.url
                 else struct_extract(matches.matched_event, 'url') end as url
        ),
        {%- else %}
        candidates.*,
        {%- endif %}
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
