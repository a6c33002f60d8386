{#- The DORA performance level of one metric value, from the `benchmarks` CTE (rows of
    dora_benchmarks.csv for one report year): a higher-is-better metric reaches a level when
    value >= its bound, a lower-is-better one when value <= its bound; below `medium` is `low`;
    a null value has no level. -#}
{% macro performance_level(value, metric) -%}
    (select
        case
            when {{ value }} is null then null
            when benchmarks.better = 'higher' then
                case
                    when {{ value }} >= benchmarks.elite then 'elite'
                    when {{ value }} >= benchmarks.high then 'high'
                    when {{ value }} >= benchmarks.medium then 'medium'
                    else 'low'
                end
            else
                case
                    when {{ value }} <= benchmarks.elite then 'elite'
                    when {{ value }} <= benchmarks.high then 'high'
                    when {{ value }} <= benchmarks.medium then 'medium'
                    else 'low'
                end
        end
     from benchmarks
     where benchmarks.metric = '{{ metric }}')
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
