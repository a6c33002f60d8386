{#- Each row of `relation` once for the whole org, then for its team and for its service; the DORA
    marts aggregate per (scope, scope_name). Rows without a team have no team scope. `names` are
    the names of the two scope columns. A row that counts for several services (a monorepo
    deployment or change) names them in `memberships` ((`key`, service, team) rows, e.g.
    int_deployment_services by deployment_id): it counts once for the org, once for each of its
    services and once for each of their teams. -#}
{% macro scoped(relation, names=('scope', 'scope_name'), memberships=none, key=none) %}
    select 'org' as {{ names[0] }}, 'org' as {{ names[1] }}, * from {{ relation }}
    union all
    {%- if memberships is none %}
    select 'team' as {{ names[0] }}, team as {{ names[1] }}, * from {{ relation }} where team is not null
    union all
    select 'service' as {{ names[0] }}, service as {{ names[1] }}, * from {{ relation }} where service is not null
    {%- else %}
    select 'team' as {{ names[0] }}, member_teams.team as {{ names[1] }}, {{ relation }}.*
    from {{ relation }}
    inner join (select distinct {{ key }}, team from {{ memberships }} where team is not null) as member_teams
        on {{ relation }}.{{ key }} = member_teams.{{ key }}
    union all
    select 'service' as {{ names[0] }}, member_services.service as {{ names[1] }}, {{ relation }}.*
    from {{ relation }}
    inner join (select distinct {{ key }}, service from {{ memberships }} where service is not null) as member_services
        on {{ relation }}.{{ key }} = member_services.{{ key }}
    {%- endif %}
{% endmacro %}

{#- The changes of marts.changes (`changes`) per scope, each with the lead time its scope sees: the
    org's at the change's first shipping deployment (the changes row); a service's at the
    deployment that shipped it for that service (`memberships`: int_change_services rows with
    deployed_at); a team's at the first of its services' deployments. Columns: the two scope
    columns (`names`), change_id, deployed_at, lead_time_hours, coding_hours, review_hours,
    deploy_wait_hours. -#}
{% macro scoped_changes(changes, memberships, names=('scope', 'scope_name')) %}
    select
        'org' as {{ names[0] }}, 'org' as {{ names[1] }}, change_id, deployed_at,
        lead_time_hours, coding_hours, review_hours, deploy_wait_hours
    from {{ changes }}
    union all
    select
        member_scope, member_scope_name, change_id, deployed_at,
        {{ elapsed_hours('first_commit_at', 'deployed_at') }},
        coding_hours, review_hours,
        {{ elapsed_hours('merged_at', 'deployed_at') }}
    from (
        select
            'service' as member_scope, {{ memberships }}.service as member_scope_name, {{ changes }}.change_id,
            {{ memberships }}.deployed_at, {{ changes }}.first_commit_at, {{ changes }}.merged_at,
            {{ changes }}.coding_hours, {{ changes }}.review_hours
        from {{ changes }}
        inner join {{ memberships }} on {{ changes }}.change_id = {{ memberships }}.change_id
        where {{ memberships }}.service is not null
        union all
        select
            'team', {{ memberships }}.team, {{ changes }}.change_id,
            min({{ memberships }}.deployed_at), {{ changes }}.first_commit_at, {{ changes }}.merged_at,
            {{ changes }}.coding_hours, {{ changes }}.review_hours
        from {{ changes }}
        inner join {{ memberships }} on {{ changes }}.change_id = {{ memberships }}.change_id
        where {{ memberships }}.team is not null
        group by {{ memberships }}.team, {{ changes }}.change_id, {{ changes }}.first_commit_at,
            {{ changes }}.merged_at, {{ changes }}.coding_hours, {{ changes }}.review_hours
    ) as member_changes
{% endmacro %}

{#- Each (scope, window) of the `scope_windows` CTE with the rows of `relation` in that scope whose
    `time_column` falls in [window_start, window_end); a window without rows keeps one row of nulls,
    so it still appears with 0 counts. `memberships`, `key`: as for scoped(); `facts`, instead, the
    rows already per scope (columns fact_scope, fact_scope_name: scoped_changes). -#}
{% macro in_scope_windows(relation, time_column, memberships=none, key=none, facts=none) %}
    select
        scope_windows.scope,
        scope_windows.scope_name,
        scope_windows.window_days,
        scope_windows.window_offset,
        facts.*
    from scope_windows
    left join ({{ facts or scoped(relation, ('fact_scope', 'fact_scope_name'), memberships, key) }}) as facts
        on scope_windows.scope = facts.fact_scope
        and scope_windows.scope_name = facts.fact_scope_name
        and facts.{{ time_column }} >= scope_windows.window_start
        and facts.{{ time_column }} < scope_windows.window_end
{% endmacro %}

{#- The windows dora_summary reports, one row each (window_days, window_offset, window_start,
    window_end): 30 and 90 days; window_offset 0 is [window_end - N days, window_end) with var
    window_end (default the start of the current UTC day), window_offset 1 the N days before it,
    present only once the history has begun: a time of `activity` ((relation, column) pairs, e.g.
    the deployments' deployed_at) before that window's end. -#}
{% macro report_windows(activity) %}
    select * from (
        select
            days.window_days,
            offsets.window_offset,
            report.report_end - (days.window_days * (offsets.window_offset + 1)) * interval '1 day' as window_start,
            report.report_end - (days.window_days * offsets.window_offset) * interval '1 day' as window_end
        from (
            select
                {%- if var('window_end') %}
                cast('{{ var('window_end') }}' as timestamp) as report_end
                {%- else %}
                cast(date_trunc('day', timezone('UTC', now())) as timestamp) as report_end
                {%- endif %}
        ) as report
        cross join (values (30), (90)) as days (window_days)
        cross join (values (0), (1)) as offsets (window_offset)
    ) as windows
    where window_offset = 0
    {%- for relation, column in activity %}
        or window_end > (select min({{ column }}) from {{ relation }})
    {%- endfor %}
{% endmacro %}
