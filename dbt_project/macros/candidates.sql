{#- The one shape of a candidate record of each kind: every per-method candidates model selects
    exactly these columns, in this order and with these types (a column a method does not have is
    a typed null), so the union of the methods is a plain `union all`.

    candidate_columns('deployment', {'method': "'merged_pr'", 'source_id': '...', ...}) renders
    the select list; a key that is not a column of the kind stops the build (a typo would
    otherwise be a silently null column). -#}
{% macro candidate_columns(kind, values) %}
    {%- set shape = candidate_shape(kind) -%}
    {%- set names = shape | map(attribute=0) | list -%}
    {%- for key in values if key not in names -%}
        {{ exceptions.raise_compiler_error("candidate_columns('" ~ kind ~ "'): '" ~ key ~ "' is not a candidate column; the columns are " ~ names | join(', ')) }}
    {%- endfor -%}
    {%- for name, type in shape %}
        cast({{ values.get(name, 'null') }} as {{ type }}) as {{ name }}
        {{- ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}

{#- The (name, type) of each column of a candidate of `kind`, in order (after `candidate_id`,
    which int_<kind>_candidates adds). -#}
{% macro candidate_shape(kind) %}
    {%- set shapes = {
        'deployment': [
            ('method', 'varchar'), ('source_id', 'varchar'), ('repository', 'varchar'),
            ('repository_id', 'bigint'), ('branch', 'varchar'), ('labels', string_list_type()),
            ('author', 'varchar'), ('title', 'varchar'), ('workflow', 'varchar'), ('event', 'varchar'),
            ('conclusion', 'varchar'), ('tag', 'varchar'), ('environment', 'varchar'),
            ('state', 'varchar'), ('service', 'varchar'), ('project', 'varchar'),
            ('issue_type', 'varchar'), ('status', 'varchar'), ('components', string_list_type()),
            ('files', string_list_type()), ('commit_sha', 'varchar'), ('deployed_at', 'timestamp'), ('url', 'varchar'),
            ('loaded_at', 'decimal(18, 6)'),
        ],
        'incident': [
            ('method', 'varchar'), ('source_id', 'varchar'), ('service', 'varchar'),
            ('service_id', 'varchar'), ('repository', 'varchar'), ('repository_id', 'bigint'),
            ('urgency', 'varchar'), ('priority', 'varchar'),
            ('team', 'varchar'), ('title', 'varchar'), ('project', 'varchar'),
            ('issue_type', 'varchar'), ('labels', string_list_type()), ('components', string_list_type()),
            ('created_at', 'timestamp'), ('resolved_at', 'timestamp'),
            ('linked_deployment_id', 'varchar'), ('linked_commit_sha', 'varchar'),
            ('linked_change_id', 'varchar'), ('url', 'varchar'),
            ('loaded_at', 'decimal(18, 6)'),
        ],
    } -%}
    {{ return(shapes[kind]) }}
{% endmacro %}
