{{ config(unique_key='candidate_id') }}

{#- Every incident candidate ever seen, with whether it currently counts as an incident.
    Survives deletions at the source and --full-refresh (see macros/durable_history.sql). -#}
{{ durable_history(
    kind='incident',
    candidates=ref('int_incident_candidates'),
    definitions=ref('incident_definitions'),
    filters=['service', 'urgency', 'priority', 'team', 'title', 'project', 'issue_type', 'label', 'component',
             'repository'],
    list_filters={'label': 'labels', 'component': 'components'},
) }}
