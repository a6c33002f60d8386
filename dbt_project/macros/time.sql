{#- Hours from one timestamp to another (fractional). -#}
{% macro hours_between(start, finish) -%}
    ({{ epoch_seconds(finish) }} - {{ epoch_seconds(start) }}) / 3600.0
{%- endmacro %}

{#- A dlt load id ('1700000001.000001', grows with every load) as a comparable number. -#}
{% macro load_order(load_id_column) -%}
    cast({{ load_id_column }} as decimal(18, 6))
{%- endmacro %}

{#- Hours from start to finish, or null when finish is before start: negative spans (clock skew,
    rebased history) are kept out of the metrics rather than clamped to zero. -#}
{% macro elapsed_hours(start, finish) -%}
    case when {{ finish }} >= {{ start }} then {{ hours_between(start, finish) }} end
{%- endmacro %}
