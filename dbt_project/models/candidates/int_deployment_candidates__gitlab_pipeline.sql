{#- gitlab_pipeline: a finished pipeline, deployed when finished. GitLab keeps a retried
    pipeline's id (counts once) and already counts allow_failure jobs as passed in the pipeline
    status; a child (parent_pipeline) or multi-project downstream (pipeline) pipeline belongs to
    the pipeline that triggered it, so it never counts itself. -#}
with

pipelines as (
    select * from {{ ref('stg_gitlab__pipelines') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'gitlab_pipeline'",
            'source_id': 'cast(pipeline_id as varchar)',
            'repository': 'project',
            'branch': 'ref',
            'author': 'triggered_by',
            'workflow': 'pipeline_name',
            'event': 'trigger_source',
            'conclusion': 'status',
            'commit_sha': 'commit_sha',
            'deployed_at': 'finished_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from pipelines
    where status in ('success', 'failed', 'canceled', 'skipped')
      and finished_at is not null
      and trigger_source not in ('parent_pipeline', 'pipeline')
)

select * from final
