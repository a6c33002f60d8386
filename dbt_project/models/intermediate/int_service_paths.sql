{{ config(materialized='table') }}

{#- The `paths` globs of services.csv, one row per glob (a cell holds several, separated by
    spaces; a leading `!` negates one), each compiled once with the definition filters' glob rules
    (macros/adapters glob_pattern): a table, so no join compiles a glob per changed file. -#}
with

services as (
    select * from {{ ref('int_services') }}
),

words as (
    select
        line,
        unnest(regexp_split_to_array(paths, '\s+')) as word
    from services
    where paths is not null
),

final as (
    select
        line,
        starts_with(word, '!') as is_negated,
        case
            when starts_with(word, '!') then {{ glob_pattern('substr(word, 2)') }}
            else {{ glob_pattern('word') }}
        end as path_pattern
    from words
)

select * from final
