{#- The SQL that differs between warehouses, one macro per construct, dispatched by adapter
    (adapter.dispatch: `<adapter>__<name>` in macros/adapters/<adapter>.sql, else `default__<name>`).
    The `default__` forms below are standard SQL, used where an adapter has no form of its own, or
    a compile error naming what a new adapter must implement. Models call only these names, never a
    warehouse's own syntax; supporting another warehouse = one more macros/adapters/<adapter>.sql. -#}

{% macro not_implemented(name) %}
    {{ exceptions.raise_compiler_error("macros/adapters: '" ~ name ~ "' has no implementation for adapter '"
                                       ~ adapter.type() ~ "'; add " ~ adapter.type() ~ "__" ~ name
                                       ~ " to macros/adapters/" ~ adapter.type() ~ ".sql") }}
{% endmacro %}

{#- A glob (`*`, `?`, `[abc]`, `[!abc]`, `[a-z]`, `\` escapes; case-sensitive, whole value) in the
    form glob_matches() takes. Evaluate it once per pattern (a pattern table or a materialized CTE),
    not once per matched row: on some adapters it is a translation. -#}
{% macro glob_pattern(pattern) -%}
    {{ return(adapter.dispatch('glob_pattern', 'dora')(pattern)) }}
{%- endmacro %}
{% macro default__glob_pattern(pattern) -%}
    {{ not_implemented('glob_pattern') }}
{%- endmacro %}

{#- Whether a (non-null) value matches a pattern made by glob_pattern(). -#}
{% macro glob_matches(value, pattern) -%}
    {{ return(adapter.dispatch('glob_matches', 'dora')(value, pattern)) }}
{%- endmacro %}
{% macro default__glob_matches(value, pattern) -%}
    {{ not_implemented('glob_matches') }}
{%- endmacro %}

{#- Whether any element of a list of strings matches a pattern made by glob_pattern() (false for a
    null or empty list). -#}
{% macro any_glob_matches(values, pattern) -%}
    {{ return(adapter.dispatch('any_glob_matches', 'dora')(values, pattern)) }}
{%- endmacro %}
{% macro default__any_glob_matches(values, pattern) -%}
    {{ not_implemented('any_glob_matches') }}
{%- endmacro %}

{#- Whether a value matches a regular expression (a SQL string expression) as a whole; null for a null value.
    The expressions of regex_full_match and regex_capture are read by RE2 (DuckDB) and by Postgres'
    AREs: keep to what both mean alike; `.` matches a newline on Postgres only, so write `[^\n]`. -#}
{% macro regex_full_match(value, regex) -%}
    {{ return(adapter.dispatch('regex_full_match', 'dora')(value, regex)) }}
{%- endmacro %}
{% macro default__regex_full_match(value, regex) -%}
    {{ not_implemented('regex_full_match') }}
{%- endmacro %}

{#- The first capture group of a regular expression (a SQL string expression) searched for in a
    value (not anchored: use ^ and $); null when it does not match or captures nothing. -#}
{% macro regex_capture(value, regex) -%}
    {{ return(adapter.dispatch('regex_capture', 'dora')(value, regex)) }}
{%- endmacro %}
{% macro default__regex_capture(value, regex) -%}
    {{ not_implemented('regex_capture') }}
{%- endmacro %}

{#- The type of a list of strings (labels, components, teams). -#}
{% macro string_list_type() -%}
    {{ return(adapter.dispatch('string_list_type', 'dora')()) }}
{%- endmacro %}
{% macro default__string_list_type() -%}
    varchar[]
{%- endmacro %}

{#- A raw `json` column holding a list of strings, as a string_list_type() (null unless it is a list). -#}
{% macro json_string_list(column) -%}
    {{ return(adapter.dispatch('json_string_list', 'dora')(column)) }}
{%- endmacro %}
{% macro default__json_string_list(column) -%}
    {{ not_implemented('json_string_list') }}
{%- endmacro %}

{#- In an aggregate: the group's distinct non-null values of `column`, sorted and joined with ', '
    (null when it has none). -#}
{% macro names_together(column) -%}
    {{ return(adapter.dispatch('names_together', 'dora')(column)) }}
{%- endmacro %}
{% macro default__names_together(column) -%}
    string_agg(distinct {{ column }}, ', ' order by {{ column }})
{%- endmacro %}

{#- In an aggregate: the group's values of `expression` joined with `delimiter` (a SQL string) in the
    order of the columns `order_by` (ascending), as dbt.listagg with `order by <order_by>`. -#}
{% macro joined_in_order(expression, delimiter, order_by) -%}
    {{ return(adapter.dispatch('joined_in_order', 'dora')(expression, delimiter, order_by)) }}
{%- endmacro %}
{% macro default__joined_in_order(expression, delimiter, order_by) -%}
    {{ dbt.listagg(expression, delimiter, 'order by ' ~ order_by | join(', ')) }}
{%- endmacro %}

{#- A join for a FROM clause, after the relation whose raw `json` column `column` holds a list (of
    objects): each row of that relation once per element of its list, the element as
    `<alias>.element`, of type json (read a field with `->>`, the same on every warehouse). A row
    whose value is null or not a list drops out; the order of the elements is not kept. -#}
{% macro join_json_list(column, alias) -%}
    {{ return(adapter.dispatch('join_json_list', 'dora')(column, alias)) }}
{%- endmacro %}
{% macro default__join_json_list(column, alias) -%}
    {{ not_implemented('join_json_list') }}
{%- endmacro %}

{#- A `timestamp with time zone` as a plain UTC `timestamp`. Raw timestamps are `timestamp with
    time zone`; downstream everything is a plain UTC `timestamp`, so week/day buckets never depend
    on the session time zone. -#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'dora')(column)) }}
{%- endmacro %}
{% macro default__utc_timestamp(column) -%}
    cast(timezone('UTC', {{ column }}) as timestamp)
{%- endmacro %}

{#- Seconds since the epoch of a timestamp, as a double precision number (fractional). -#}
{% macro epoch_seconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'dora')(timestamp)) }}
{%- endmacro %}
{% macro default__epoch_seconds(timestamp) -%}
    cast(extract(epoch from {{ timestamp }}) as double precision)
{%- endmacro %}

{#- The Monday (a date) of a timestamp's ISO week. -#}
{% macro week_start(timestamp) -%}
    {{ return(adapter.dispatch('week_start', 'dora')(timestamp)) }}
{%- endmacro %}
{% macro default__week_start(timestamp) -%}
    cast(date_trunc('week', {{ timestamp }}) as date)
{%- endmacro %}

{#- Rows of timestamps from `start` to `stop` every `step` (e.g. '7 days'), as a set-returning
    select-list expression (one output row per timestamp). -#}
{% macro timestamp_series(start, stop, step) -%}
    {{ return(adapter.dispatch('timestamp_series', 'dora')(start, stop, step)) }}
{%- endmacro %}
{% macro default__timestamp_series(start, stop, step) -%}
    {{ not_implemented('timestamp_series') }}
{%- endmacro %}

{#- The interpolated percentile of a column (an aggregate; nulls ignored, fraction in [0, 1]). -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'dora')(column, fraction)) }}
{%- endmacro %}
{% macro default__percentile_cont(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{#- An aggregate: `value` of the row with the greatest (order_by[0], order_by[1], ...). -#}
{% macro value_at_max(value, order_by) -%}
    {{ return(adapter.dispatch('value_at_max', 'dora')(value, order_by)) }}
{%- endmacro %}
{% macro default__value_at_max(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by | join(' desc, ') }} desc))[1]
{%- endmacro %}

{#- A post-hook: refresh the planner's statistics of a table just built (a view or ephemeral
    model has none). Postgres plans joins on a fresh table without them badly: deployment_history
    at 100,000 PRs took 22 s instead of 4 s while int_repository_names had no statistics yet. -#}
{% macro refresh_statistics(relation) -%}
    {%- if model.config.materialized in ('table', 'incremental', 'seed') -%}
        {{ return(adapter.dispatch('refresh_statistics', 'dora')(relation)) }}
    {%- endif -%}
{%- endmacro %}
{% macro default__refresh_statistics(relation) -%}
{%- endmacro %}

{#- A FROM clause: each row of `left` with the row of `right` of the same `keys` whose `right_time`
    is nearest to its `left_time` in the direction `operator` says: '>=' the latest at or before it,
    '<=' the earliest at or after it. Rows without one are dropped (an inner join). `left` and
    `right` are relation (CTE) names, referenced by these names in the select list; `left_id` is a
    unique column of `left`; `right` must have one row per (keys, right_time). -#}
{% macro asof_join(left, left_id, right, keys, left_time, operator, right_time) -%}
    {%- if operator not in ('>=', '<=') -%}
        {{ exceptions.raise_compiler_error("asof_join: operator must be '>=' or '<=', not " ~ operator) }}
    {%- endif -%}
    {{ return(adapter.dispatch('asof_join', 'dora')(left, left_id, right, keys, left_time, operator, right_time)) }}
{%- endmacro %}
{% macro default__asof_join(left, left_id, right, keys, left_time, operator, right_time) -%}
    {#- One sort instead of one search per row: the rows of both sides in time order per key (the
        right row first on a tie, as it counts), walked towards the match; the running max (min)
        of the right rows' numbers, in (keys, right_time) order, is the match's number. Both joins
        back are on one column: joined on the keys and the time, PostgreSQL estimated one row and
        nested a loop over `left` (quadratic; int_changes_shipped_per_service took 218 s at
        bench scale 0.1). -#}
    {%- set towards = 'asc' if operator == '>=' else 'desc' -%}
    {%- set nearest = 'max' if operator == '>=' else 'min' -%}
    {%- set numbered = 'row_number() over (order by ' ~ (keys + [right_time]) | join(', ') ~ ')' -%}
    {{ left }}
    inner join (
        select left_id as asof_left_id, matched_row as asof_right_row
        from (
            select
                left_id,
                {{ nearest }}(right_row) over (
                    partition by {{ keys | join(', ') }} order by event_time {{ towards }}, is_left
                    rows between unbounded preceding and current row
                ) as matched_row
            from (
                select {{ keys | join(', ') }}, {{ right_time }} as event_time, 0 as is_left,
                    null as left_id, {{ numbered }} as right_row
                from {{ right }}
                where {{ right_time }} is not null
                union all
                select {{ keys | join(', ') }}, {{ left_time }}, 1, {{ left_id }}, null
                from {{ left }}
                where {{ left_time }} is not null
            ) as asof_events
        ) as asof_walk
        where left_id is not null and matched_row is not null
    ) as asof_matches
        on {{ left }}.{{ left_id }} = asof_matches.asof_left_id
    inner join (
        select *, {{ numbered }} as asof_right_row
        from {{ right }}
        where {{ right_time }} is not null
    ) as {{ right }}
        on {{ right }}.asof_right_row = asof_matches.asof_right_row
{%- endmacro %}
