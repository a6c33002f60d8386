{#- The five DORA metrics over 30- and 90-day windows ending at window_end, for the org, each team and
    each service (int_scope_window_metrics: how each is computed), with a DORA performance level per
    metric and overall (the lowest of the metric levels that have a value). Levels: the dora_levels
    mart (the report year in var dora_benchmark_year; none from 2025 on; the rework rate has none). -#}
with

metrics as (
    select * from {{ ref('int_scope_window_metrics') }}
),

levels as (
    select * from {{ ref('dora_levels') }}
),

leveled as (
    select
        metrics.*,
        {{ performance_level('metrics.deployments_per_week', 'deployments_per_week') }} as deployment_frequency_level,
        {{ performance_level('metrics.lead_time_median_hours', 'lead_time_hours') }} as lead_time_level,
        {{ performance_level('metrics.change_failure_rate', 'change_failure_rate') }} as change_failure_rate_level,
        {{ performance_level('metrics.time_to_restore_median_hours', 'time_to_restore_hours') }} as time_to_restore_level,
        {{ performance_level('metrics.rework_rate', 'rework_rate') }} as rework_rate_level,
        {{ var('dora_benchmark_year') }} as benchmark_year
    from metrics
),

final as (
    select
        *,
        {{ lowest_level(['deployment_frequency_level', 'lead_time_level', 'change_failure_rate_level',
                         'time_to_restore_level', 'rework_rate_level']) }} as overall_level
    from leveled
)

select * from final
