{#- github_deployment: a GitHub deployment with a status, deployed at the time of its latest
    status; `ref` is a branch, a tag or a sha. -#}
with

github_deployments as (
    select * from {{ ref('stg_github__deployments') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'github_deployment'",
            'source_id': 'cast(github_deployment_id as varchar)',
            'repository': 'repository',
            'repository_id': 'repository_id',
            'branch': branch_of_ref('ref'),
            'author': 'creator',
            'environment': 'environment',
            'state': 'latest_status_state',
            'commit_sha': 'commit_sha',
            'deployed_at': 'latest_status_at',
            'url': 'latest_status_log_url',
            'loaded_at': 'loaded_at',
        }) }}
    from github_deployments
    where latest_status_at is not null
)

select * from final
