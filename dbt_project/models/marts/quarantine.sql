{#- Records that are kept out of a metric because their own data contradicts itself, one row per
    record and reason, so a bad record is flagged rather than silently skewing or vanishing:
    - an incident resolved before it was created (no time to restore);
    - a change whose spans run backwards (clock skew, rebased history: that span is null).
    The `quarantine` data test warns while this table has rows. -#}
with

incidents as (
    select * from {{ ref('incidents') }}
),

changes as (
    select * from {{ ref('changes') }}
),

incidents_resolved_before_created as (
    select
        'incident' as record_type,
        incident_id as record_id,
        service,
        'resolved_at is before created_at' as reason,
        created_at as occurred_at
    from incidents
    where resolved_at < created_at
),

changes_with_backward_spans as (
    select
        'change' as record_type,
        change_id as record_id,
        service,
        case
            when opened_at < first_commit_at then 'first commit is after the PR was opened'
            when merged_at < opened_at then 'merged before it was opened'
            else 'deployed before it was merged'
        end as reason,
        deployed_at as occurred_at
    from changes
    where opened_at < first_commit_at or merged_at < opened_at or deployed_at < merged_at
),

final as (
    select * from incidents_resolved_before_created
    union all
    select * from changes_with_backward_spans
)

select * from final
