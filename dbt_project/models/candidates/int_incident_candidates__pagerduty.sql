{#- pagerduty: every PagerDuty incident; the filter `team` matches its first PagerDuty team. -#}
with

incidents as (
    select * from {{ ref('stg_pagerduty__incidents') }}
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'pagerduty'",
            'source_id': 'pagerduty_incident_id',
            'service': 'service_name',
            'service_id': 'service_id',
            'urgency': 'urgency',
            'priority': 'priority',
            'team': 'teams[1]',
            'title': 'title',
            'created_at': 'created_at',
            'resolved_at': 'resolved_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from incidents
)

select * from final
