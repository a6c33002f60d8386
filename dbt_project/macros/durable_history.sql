{#- The body of a history model (deployment_history, incident_history): every candidate record of
    one kind, flagged `is_<kind>` when some definition matches it, kept forever.

    - Matching: a definition matches a candidate of its method when every filter matches (AND,
      rules in definition_filters.sql; an empty cell takes the method's default from
      definition_methods.csv); a candidate counts when any definition matches (OR), once:
      `definition_id` is the alphabetically first matching definition.
    - Incremental: an ordinary run evaluates only candidates loaded (dlt load id) after the newest
      one already stored for their method. When the definitions (or method defaults) differ from
      the ones of the last evaluation (`definitions_hash`), every candidate still present at the
      source is re-evaluated under a new `definitions_version`. Rows whose source is gone are never
      touched, and no column depends on the clock, so the same input gives the same table.
    Models using this must be incremental with unique_key candidate_id and full_refresh: false. -#}
{% macro durable_history(kind, candidates, definitions, filters, list_filters={}) %}
with

all_candidates as (
    select * from {{ candidates }}
),

effective_definitions as (
    {{ effective_definitions(definitions, kind, filters) }}
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

matches as (
    select
        candidates.candidate_id,
        min(effective_definitions.definition_id) as definition_id
    from candidates
    inner join effective_definitions
        on candidates.method = effective_definitions.method
    where
        {%- for filter in filters %}
        {% if filter in list_filters -%}
        {{ any_value_matches('candidates.' ~ list_filters[filter], 'effective_definitions.' ~ filter) }}
        {%- else -%}
        {{ filter_matches('candidates.' ~ filter, 'effective_definitions.' ~ filter) }}
        {%- endif %}
        {{- ' and' if not loop.last }}
        {%- endfor %}
    group by candidates.candidate_id
),

final as (
    select
        candidates.*,
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
