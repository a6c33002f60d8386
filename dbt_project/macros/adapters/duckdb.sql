{#- DuckDB's forms of the constructs in macros/adapters/dispatch.sql. -#}

{% macro duckdb__glob_pattern(pattern) -%}
    {{ pattern }}
{%- endmacro %}

{% macro duckdb__glob_matches(value, pattern) -%}
    {{ value }} glob {{ pattern }}
{%- endmacro %}

{% macro duckdb__any_glob_matches(values, pattern) -%}
    coalesce(len(list_filter({{ values }}, lambda value: value glob {{ pattern }})), 0) > 0
{%- endmacro %}

{% macro duckdb__regex_full_match(value, regex) -%}
    regexp_full_match({{ value }}, {{ regex }})
{%- endmacro %}

{% macro duckdb__regex_capture(value, regex) -%}
    nullif(regexp_extract({{ value }}, {{ regex }}, 1), '')
{%- endmacro %}

{% macro duckdb__json_string_list(column) -%}
    from_json({{ column }}, '["varchar"]')
{%- endmacro %}

{#- A list sorted once per group: DuckDB sorts an ordered aggregate's rows group by group (the
    deployments mart's two at 824,383 deployments: 2.1 s against 1.3 s); a group of one name (most
    deployments and changes count for one service) skips the list's sort and join (the deployments
    mart at 826,330 deployments: 3.2 s -> 2.5 s). -#}
{% macro duckdb__names_together(column) -%}
    case
        when min({{ column }}) = max({{ column }}) then min({{ column }})
        when count({{ column }}) > 0 then array_to_string(list_sort(list_distinct(list({{ column }}))), ', ')
    end
{%- endmacro %}

{#- A list of (order columns, value) sorted once per group, as names_together (the deployments
    mart with int_deployments_reworked's reasons of 276,864 reworked deployments: 3.5 s -> 3.2 s). -#}
{% macro duckdb__joined_in_order(expression, delimiter, order_by) -%}
    array_to_string(list_transform(
        list_sort(list(struct_pack({%- for column in order_by %} order_{{ loop.index }} := {{ column }}, {%- endfor %} joined := {{ expression }}))),
        lambda item: item.joined), {{ delimiter }})
{%- endmacro %}

{% macro duckdb__join_json_list(column, alias) -%}
    cross join unnest(from_json({{ column }}, '["json"]')) as {{ alias }}(element)
{%- endmacro %}

{% macro duckdb__epoch_seconds(timestamp) -%}
    epoch({{ timestamp }})
{%- endmacro %}

{% macro duckdb__timestamp_series(start, stop, step) -%}
    unnest(generate_series({{ start }}, {{ stop }}, interval '{{ step }}'))
{%- endmacro %}

{% macro duckdb__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro duckdb__value_at_max(value, order_by) -%}
    arg_max({{ value }}, ({{ order_by | join(', ') }}))
{%- endmacro %}

{#- DuckDB's ASOF join: one pass over both sides, sorted by key and time. -#}
{% macro duckdb__asof_join(left, left_id, right, keys, left_time, operator, right_time) -%}
    {{ left }}
    asof inner join {{ right }}
        on {%- for key in keys %} {{ left }}.{{ key }} = {{ right }}.{{ key }} and {%- endfor %}
        {{ left }}.{{ left_time }} {{ operator }} {{ right }}.{{ right_time }}
{%- endmacro %}
