{#- A git ref (a release's target_commitish, a deployment's ref) names a branch unless it is a full
    commit sha; a sha names no branch. -#}
{% macro is_commit_sha(ref) -%}
    {{ regex_full_match(ref, "'[0-9a-f]{40}'") }}
{%- endmacro %}

{% macro branch_of_ref(ref) -%}
    case when not {{ is_commit_sha(ref) }} then {{ ref }} end
{%- endmacro %}
