{#- The current name of each GitHub repository. A repository renamed or transferred keeps its id,
    so every record of it, stored or new, takes the name on its most recently loaded record
    (ties: the greater name) and its history is not split between the old and the new name. -#}
with

pull_requests as (
    select * from {{ ref('stg_github__pull_requests') }}
),

workflow_runs as (
    select * from {{ ref('stg_github__workflow_runs') }}
),

releases as (
    select * from {{ ref('stg_github__releases') }}
),

deployments as (
    select * from {{ ref('stg_github__deployments') }}
),

issues as (
    select * from {{ ref('stg_github__issues') }}
),

named_records as (
    -- one row per (repository, name) and source table: a few hundred rows, not millions
    select repository_id, repository, max(loaded_at) as loaded_at from pull_requests group by repository_id, repository
    union all
    select repository_id, repository, max(loaded_at) as loaded_at from workflow_runs group by repository_id, repository
    union all
    select repository_id, repository, max(loaded_at) as loaded_at from releases group by repository_id, repository
    union all
    select repository_id, repository, max(loaded_at) as loaded_at from deployments group by repository_id, repository
    union all
    select repository_id, repository, max(loaded_at) as loaded_at from issues group by repository_id, repository
),

current_names as (
    select
        repository_id,
        {{ value_at_max('repository', ['loaded_at', 'repository']) }} as repository
    from named_records
    where repository_id is not null
    group by repository_id
)

select * from current_names
