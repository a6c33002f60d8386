{#- The DORA performance levels in force (var dora_benchmark_year), as this project reads a
    report's table (dora_benchmarks.csv, README: Benchmarks): a metric value gets the best level
    whose published bound it meets (higher is better: value >= bound; lower is better: value <=
    bound), else `low`. So each level covers the values between the best bound of the levels above
    it and its own; a level whose bound is no better than a better level's covers nothing (the
    2024 change failure rate: high 20%, medium 10%, so a rate of 10% or less is already high) and
    is not reachable. One row per metric and level; none for a year without levels (2025 on).
    dora_summary takes its levels from here, and the dashboard its bands. -#}
with

benchmarks as (
    select * from {{ ref('dora_benchmarks') }}
    where report_year = {{ benchmark_year() }}
),

published as (
    select report_year, metric, better, 1 as level_rank, 'elite' as level, elite as published_bound from benchmarks
    union all
    select report_year, metric, better, 2, 'high', high from benchmarks
    union all
    select report_year, metric, better, 3, 'medium', medium from benchmarks
),

reached as (
    -- the best bound of this level and the ones above it, and of the ones above it only
    select
        *,
        case when better = 'higher'
            then min(published_bound) over (partition by metric order by level_rank rows unbounded preceding)
            else max(published_bound) over (partition by metric order by level_rank rows unbounded preceding)
        end as reach,
        case when better = 'higher'
            then min(published_bound) over (
                partition by metric order by level_rank rows between unbounded preceding and 1 preceding)
            else max(published_bound) over (
                partition by metric order by level_rank rows between unbounded preceding and 1 preceding)
        end as reach_above
    from published
),

ranked_levels as (
    select
        report_year, metric, better, level_rank, level, published_bound,
        reach_above is null or reach <> reach_above as is_reachable,
        case when better = 'higher' then reach else reach_above end as lower_bound,
        case when better = 'higher' then reach_above else reach end as upper_bound
    from reached
),

low_levels as (
    -- beyond the best bound of the three: low
    select
        report_year, metric, better, 4 as level_rank, 'low' as level, cast(null as double precision) as published_bound,
        true as is_reachable,
        case when better = 'higher' then null else reach end as lower_bound,
        case when better = 'higher' then reach end as upper_bound
    from reached
    where level_rank = 3
),

final as (
    select
        report_year, metric, level, level_rank, better, published_bound, is_reachable,
        case when is_reachable then lower_bound end as lower_bound,
        case when is_reachable then upper_bound end as upper_bound
    from ranked_levels
    union all
    select report_year, metric, level, level_rank, better, published_bound, is_reachable, lower_bound, upper_bound
    from low_levels
)

select * from final
