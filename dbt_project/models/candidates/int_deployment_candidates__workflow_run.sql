{#- workflow_run: a completed run, deployed when it completed; a re-run keeps the run's id, so it
    counts once. -#}
with

workflow_runs as (
    select * from {{ ref('stg_github__workflow_runs') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'workflow_run'",
            'source_id': 'cast(workflow_run_id as varchar)',
            'repository': 'repository',
            'repository_id': 'repository_id',
            'branch': 'head_branch',
            'author': 'actor',
            'workflow': 'workflow_name',
            'event': 'event',
            'conclusion': 'conclusion',
            'commit_sha': 'head_sha',
            'deployed_at': 'updated_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from workflow_runs
    where status = 'completed'
)

select * from final
