{#- github_deployment: a GitHub deployment with a status; `ref` is a branch, a tag or a sha.
    It is deployed at its first status in the definition's `state`: history matches each of its
    statuses (int_deployment_candidate_events, macros/durable_history.sql), so the `inactive`
    GitHub adds when a newer deployment succeeds changes nothing. `state`, `deployed_at` and `url`
    here are the latest status's, used as they are only for a row loaded before the statuses were
    extracted. -#}
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
