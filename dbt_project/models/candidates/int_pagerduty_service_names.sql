{#- The current name of each PagerDuty service. A service renamed at PagerDuty keeps its id, so
    every incident of it, stored or new, takes the name on the most recently loaded record naming
    it (the services listing, read every run, or an incident; ties: the services listing). -#}
with

services as (
    select * from {{ ref('stg_pagerduty__services') }}
),

incidents as (
    select * from {{ ref('stg_pagerduty__incidents') }}
),

named_records as (
    select pagerduty_service_id as service_id, service_name, loaded_at, 1 as precedence from services
    union all
    select service_id, service_name, loaded_at, 0 as precedence from incidents
),

current_names as (
    select
        service_id,
        {{ value_at_max('service_name', ['loaded_at', 'precedence', 'service_name']) }} as service_name
    from named_records
    where service_id is not null
    group by service_id
)

select * from current_names
