{#- custom: a deployment recorded through the custom API (`dora record`, `dora serve`). -#}
with

custom_deployments as (
    select * from {{ ref('stg_custom__deployments') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'custom'",
            'source_id': 'custom_deployment_id',
            'repository': 'repository',
            'environment': 'environment',
            'service': 'service',
            'commit_sha': 'commit_sha',
            'deployed_at': 'deployed_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from custom_deployments
    where deployed_at is not null
)

select * from final
