{#- gitlab_deployment: a finished GitLab deployment, deployed when its deploy job finished. -#}
with

gitlab_deployments as (
    select * from {{ ref('stg_gitlab__deployments') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'gitlab_deployment'",
            'source_id': 'cast(gitlab_deployment_id as varchar)',
            'repository': 'project',
            'branch': 'ref',
            'author': 'deployed_by',
            'environment': 'environment',
            'state': 'status',
            'commit_sha': 'commit_sha',
            'deployed_at': 'coalesce(finished_at, updated_at)',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from gitlab_deployments
    where status in ('success', 'failed', 'canceled')
)

select * from final
