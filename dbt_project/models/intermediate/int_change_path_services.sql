{{ config(materialized='table') }}

{#- The services a GitHub PR belongs to by the paths it changed (services.csv `paths`): each
    service of a row with paths whose `repository` glob matches the PR's repository (empty: any)
    and whose paths match at least one of the PR's files. A file matches a row's paths when a
    non-negated glob matches it (or the row has none) and no negated (`!`) glob does, whatever
    their order. One row per (change, service); a PR without files read has none. -#}
with

changes as (
    select * from {{ ref('int_merged_changes') }}
),

services as (
    select * from {{ ref('int_services') }}
),

service_paths as (
    select * from {{ ref('int_service_paths') }}
),

path_rows as (
    select
        services.line,
        services.service,
        services.repository_pattern,
        exists (select 1 from service_paths where service_paths.line = services.line and not service_paths.is_negated)
            as has_included_paths
    from services
    where services.paths is not null
),

changed_files as (
    select change_id, repository, unnest(files) as path
    from changes
    where files is not null
),

file_rows as (
    -- each changed file with every row with paths that covers its repository
    select changed_files.change_id, changed_files.path, path_rows.line, path_rows.service, path_rows.has_included_paths
    from changed_files
    inner join path_rows
        on {{ filter_matches('changed_files.repository', 'path_rows.repository_pattern') }}
),

glob_hits as (
    select
        file_rows.change_id,
        file_rows.path,
        file_rows.line,
        bool_or(not service_paths.is_negated) as is_included,
        bool_or(service_paths.is_negated) as is_excluded
    from file_rows
    inner join service_paths
        on file_rows.line = service_paths.line
        and {{ glob_matches('file_rows.path', 'service_paths.path_pattern') }}
    group by file_rows.change_id, file_rows.path, file_rows.line
),

final as (
    select distinct file_rows.change_id, file_rows.service
    from file_rows
    left join glob_hits
        on file_rows.change_id = glob_hits.change_id
        and file_rows.path = glob_hits.path
        and file_rows.line = glob_hits.line
    where (not file_rows.has_included_paths or coalesce(glob_hits.is_included, false))
        and not coalesce(glob_hits.is_excluded, false)
)

select * from final
