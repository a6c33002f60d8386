{#- Each row of `relation` three times: for the whole org, for its team, for its service; the DORA
    marts aggregate per (scope, scope_name). Rows without a team have no team scope. `names` are
    the names of the two scope columns. -#}
{% macro scoped(relation, names=('scope', 'scope_name')) %}
    select 'org' as {{ names[0] }}, 'org' as {{ names[1] }}, * from {{ relation }}
    union all
    select 'team' as {{ names[0] }}, team as {{ names[1] }}, * from {{ relation }} where team is not null
    union all
    select 'service' as {{ names[0] }}, service as {{ names[1] }}, * from {{ relation }} where service is not null
{% endmacro %}

{#- Each (scope, window) of the `scope_windows` CTE with the rows of `relation` in that scope whose
    `time_column` falls in [window_start, window_end); a window without rows keeps one row of nulls,
    so it still appears with 0 counts. -#}
{% macro in_scope_windows(relation, time_column) %}
    select
        scope_windows.scope,
        scope_windows.scope_name,
        scope_windows.window_days,
        scope_windows.window_offset,
        facts.*
    from scope_windows
    left join ({{ scoped(relation, ('fact_scope', 'fact_scope_name')) }}) as facts
        on scope_windows.scope = facts.fact_scope
        and scope_windows.scope_name = facts.fact_scope_name
        and facts.{{ time_column }} >= scope_windows.window_start
        and facts.{{ time_column }} < scope_windows.window_end
{% endmacro %}
