{#- The DORA report year whose levels the marts use (var dora_benchmark_year). A year before 2025
    must be in dora_benchmarks.csv; from 2025 on the reports publish no levels (the 2025 report
    replaced the four performance levels with team profiles), so such a year reports none. Checked
    when the model runs (the seed is loaded by then), so a typo stops the build instead of
    silently leaving every level empty. -#}
{% macro benchmark_year() %}
    {%- set year = var('dora_benchmark_year') | int -%}
    {%- if execute and year < 2025 -%}
        {%- set years = run_query('select distinct report_year from ' ~ ref('dora_benchmarks') ~ ' order by 1')
                        .columns[0].values() | list -%}
        {%- if year not in years -%}
            {{ exceptions.raise_compiler_error("var dora_benchmark_year is " ~ year
                ~ ": dora_benchmarks.csv has levels for " ~ years | join(', ') ~ " (2025 and later: no levels)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(year) }}
{% endmacro %}

{#- The DORA performance level of one metric value, from the `levels` CTE (rows of the dora_levels
    mart): the reachable level whose range holds the value (lower is better: lower_bound < value
    <= upper_bound; higher is better: lower_bound <= value < upper_bound; a null bound is open);
    a null value, or a metric without levels, has none. -#}
{% macro performance_level(value, metric) -%}
    (select levels.level
     from levels
     where levels.metric = '{{ metric }}' and levels.is_reachable
        and case
            when levels.better = 'lower'
                then (levels.lower_bound is null or {{ value }} > levels.lower_bound)
                    and (levels.upper_bound is null or {{ value }} <= levels.upper_bound)
            else (levels.lower_bound is null or {{ value }} >= levels.lower_bound)
                and (levels.upper_bound is null or {{ value }} < levels.upper_bound)
        end)
{%- endmacro %}

{#- The lowest of some level columns, ignoring nulls (null when all are null). -#}
{% macro lowest_level(columns) -%}
    {%- set levels = ['low', 'medium', 'high', 'elite'] -%}
    case least(
        {%- for column in columns %}
        case {{ column }} {% for level in levels %}when '{{ level }}' then {{ loop.index }} {% endfor %}end
        {{- ',' if not loop.last }}
        {%- endfor %}
    ) {% for level in levels %}when {{ loop.index }} then '{{ level }}' {% endfor %}end
{%- endmacro %}
