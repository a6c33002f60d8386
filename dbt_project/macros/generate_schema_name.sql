{#- Schemas are part of the contract (BI tools read `marts`, the CLI reads `history`): use a model's
    custom schema name as-is instead of dbt's default `<target schema>_<custom>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
