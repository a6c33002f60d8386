{#- custom: a deployment recorded through the custom API: a record sent to /deployments (`dora
    record`, `dora serve`), or a CDEvent service.deployed, service.upgraded or service.rolledback
    sent to /cdevents (a rollback is a deployment too). -#}
with

custom_deployments as (
    select * from {{ ref('stg_custom__deployments') }}
),

cdevents as (
    select * from {{ ref('stg_custom__cdevents') }}
),

recorded as (
    select custom_deployment_id as source_id, service, environment, commit_sha, repository, deployed_at, url, loaded_at
    from custom_deployments
    union all
    select cdevent_id, service, environment, commit_sha, repository, occurred_at, null, loaded_at
    from cdevents
    where predicate in ('service.deployed', 'service.upgraded', 'service.rolledback')
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'custom'",
            'source_id': 'source_id',
            'repository': 'repository',
            'environment': 'environment',
            'service': 'service',
            'commit_sha': 'commit_sha',
            'deployed_at': 'deployed_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from recorded
    where deployed_at is not null
)

select * from final
