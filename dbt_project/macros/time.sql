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

{#- True when `time` lies more than a day after the dlt load that brought the record in
    (`loaded_at`: the load id, the load's start in epoch seconds). No source can have recorded
    that yet: it is a mistyped or skewed time (e.g. 2999-01-01), so the record stays out of the
    metrics and is listed in marts.quarantine. A day, as far ahead as the custom API accepts
    (dora/core/landing.py). It depends only on the stored data, never on the clock of the build. -#}
{% macro dated_after_load(time, loaded_at='loaded_at') -%}
    coalesce({{ epoch_seconds(time) }} > {{ loaded_at }} + 86400, false)
{%- endmacro %}
