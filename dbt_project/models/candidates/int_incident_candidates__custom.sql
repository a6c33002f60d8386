{#- custom: an incident recorded through the custom API, which may name the deployment or commit
    that caused it. -#}
with

incidents as (
    select * from {{ ref('stg_custom__incidents') }}
),

final as (
    select
        {{ candidate_columns('incident', {
            'method': "'custom'",
            'source_id': 'custom_incident_id',
            'service': 'service',
            'urgency': 'urgency',
            'priority': 'priority',
            'title': 'title',
            'created_at': 'created_at',
            'resolved_at': 'resolved_at',
            'linked_deployment_id': 'deployment_id',
            'linked_commit_sha': 'commit_sha',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from incidents
)

select * from final
