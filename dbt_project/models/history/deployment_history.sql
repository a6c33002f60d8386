{{ config(unique_key='candidate_id') }}

{#- Every deployment candidate ever seen, with whether it currently counts as a deployment.
    Survives deletions at the source and --full-refresh (see macros/durable_history.sql). -#}
{{ durable_history(
    kind='deployment',
    candidates=ref('int_deployment_candidates'),
    definitions=ref('deployment_definitions'),
    filters=['repository', 'branch', 'label', 'author', 'title', 'workflow', 'event', 'conclusion',
             'tag', 'environment', 'state', 'service', 'project', 'issue_type', 'status', 'component', 'paths'],
    list_filters={'label': 'labels', 'component': 'components', 'paths': 'files'},
    event_filter=('state', ref('int_deployment_candidate_events')),
) }}
