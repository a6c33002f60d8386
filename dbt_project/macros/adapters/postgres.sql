{#- PostgreSQL's forms of the constructs in macros/adapters/dispatch.sql (the others use the
    standard `default__` forms there). -#}

{#- Postgres has no GLOB: the glob becomes an anchored regular expression with DuckDB GLOB's exact
    meaning. Tokens: a bracket expression (`[` then an optional `!`, a first `]` taken literally,
    up to the next `]`), an escaped character (`\x`), any other character. `*` -> `.*`, `?` -> `.`,
    a bracket -> `[...]`/`[^...]` with its items escaped (a reversed range `z-a` matches nothing),
    anything else -> itself, regex metacharacters escaped. An unclosed `[` or a trailing `\` makes
    DuckDB match nothing: then the pattern is `(?!)`, which matches nothing. -#}
{% macro postgres__glob_pattern(pattern) -%}
    {%- set metacharacters = "'([.^$*+?()[\\]{}|\\\\-])'" -%}
    {%- set bracket_metacharacters = "'([\\]\\[\\\\^-])'" -%}
    (select
        case when bool_or(glob_token.regex is null) then '(?!)'
             else '^' || coalesce(string_agg(glob_token.regex, '' order by glob_token.position), '') || '$' end
     from (
         select
             token.position,
             case
                 when token.text = '*' then '.*'
                 when token.text = '?' then '.'
                 when token.text ~ '^\\.$' then regexp_replace(substr(token.text, 2), {{ metacharacters }}, '\\\1')
                 when token.text ~ '^\[.+\]$' then (
                     select case
                         when count(item.regex) = 0 then case when token.is_negated then '.' end
                         else '[' || case when token.is_negated then '^' else '' end
                              || string_agg(item.regex, '' order by item.position) || ']'
                     end
                     from (
                         select
                             item_match.position,
                             case
                                 when length(item_match.found[1]) = 1
                                     then regexp_replace(item_match.found[1], {{ bracket_metacharacters }}, '\\\1')
                                 when ascii(item_match.found[1]) <= ascii(substr(item_match.found[1], 3))
                                     then regexp_replace(substr(item_match.found[1], 1, 1), {{ bracket_metacharacters }}, '\\\1')
                                          || '-'
                                          || regexp_replace(substr(item_match.found[1], 3), {{ bracket_metacharacters }}, '\\\1')
                             end as regex
                         from regexp_matches(
                             substr(token.text, token.items_start, length(token.text) - token.items_start),
                             '.-.|.', 'g'
                         ) with ordinality as item_match(found, position)
                     ) as item
                 )
                 when token.text in ('[', '\') then null
                 else regexp_replace(token.text, {{ metacharacters }}, '\\\1')
             end as regex
         from (
             select
                 token_match.found[1] as text,
                 token_match.position,
                 starts_with(token_match.found[1], '[!') as is_negated,
                 case when starts_with(token_match.found[1], '[!') then 3 else 2 end as items_start
             from regexp_matches(
                 {{ pattern }},
                 '\[!\][^\]]*\]|\[![^\]]+\]|\[\][^\]]*\]|\[[^!\]][^\]]*\]|\\.|.', 'g'
             ) with ordinality as token_match(found, position)
         ) as token
     ) as glob_token)
{%- endmacro %}

{% macro postgres__glob_matches(value, pattern) -%}
    {{ value }} ~ {{ pattern }}
{%- endmacro %}

{% macro postgres__any_glob_matches(values, pattern) -%}
    exists (select 1 from unnest({{ values }}) as element(value) where element.value ~ {{ pattern }})
{%- endmacro %}

{% macro postgres__regex_full_match(value, regex) -%}
    {{ value }} ~ ('^(?:' || {{ regex }} || ')$')
{%- endmacro %}

{% macro postgres__regex_capture(value, regex) -%}
    nullif((regexp_match({{ value }}, {{ regex }}))[1], '')
{%- endmacro %}

{#- dlt stores lists as jsonb; the sources read them as json. Element order is kept. -#}
{% macro postgres__json_string_list(column) -%}
    case when json_typeof({{ column }}) = 'array' then
        array(
            select list.element
            from json_array_elements_text({{ column }}) with ordinality as list(element, position)
            order by list.position
        )::{{ string_list_type() }}
    end
{%- endmacro %}

{% macro postgres__join_json_list(column, alias) -%}
    cross join lateral json_array_elements(
        case when json_typeof({{ column }}) = 'array' then {{ column }} end
    ) as {{ alias }}(element)
{%- endmacro %}

{% macro postgres__refresh_statistics(relation) -%}
    analyze {{ relation }}
{%- endmacro %}

{% macro postgres__timestamp_series(start, stop, step) -%}
    generate_series({{ start }}, {{ stop }}, interval '{{ step }}')
{%- endmacro %}
