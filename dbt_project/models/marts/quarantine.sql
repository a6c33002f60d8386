{#- Records that are kept out of a metric because their own data contradicts itself, one row per
    record and reason, so a bad record is flagged rather than silently skewing or vanishing:
    - an incident resolved before it was created (no time to restore);
    - a change whose spans run backwards (clock skew, rebased history: that span is null);
    - a deployment or incident dated more than a day after the load that brought it in
      (macros/time.sql, dated_after_load): it is left out of every other mart. Its service is
      the one the record carries (services.csv maps only records that count). A change counts at
      its deployment's time, so it cannot reach the metrics dated in the future on its own.
    The `quarantine` data test warns while this table has rows. -#}
with

incidents as (
    select * from {{ ref('incidents') }}
),

changes as (
    select * from {{ ref('changes') }}
),

deployment_history as (
    select * from {{ ref('deployment_history') }}
),

incident_history as (
    select * from {{ ref('incident_history') }}
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

deployments_dated_after_load as (
    select
        'deployment' as record_type,
        candidate_id as record_id,
        coalesce(service, repository, project) as service,
        'deployed_at is more than a day after the load that brought it in' as reason,
        deployed_at as occurred_at
    from deployment_history
    where is_deployment and {{ dated_after_load('deployed_at') }}
),

incidents_dated_after_load as (
    select
        'incident' as record_type,
        candidate_id as record_id,
        coalesce(service, project) as service,
        case
            when {{ dated_after_load('created_at') }} then 'created_at'
            else 'resolved_at'
        end || ' is more than a day after the load that brought it in' as reason,
        created_at as occurred_at
    from incident_history
    where is_incident and {{ dated_after_load('greatest(created_at, resolved_at)') }}
),

final as (
    select * from incidents_resolved_before_created
    union all
    select * from changes_with_backward_spans
    union all
    select * from deployments_dated_after_load
    union all
    select * from incidents_dated_after_load
)

select * from final
