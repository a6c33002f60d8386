{#- A generic test that fails (or warns, with severity warn) while the model has any row. -#}
{% test has_no_rows(model) %}
    select * from {{ model }}
{% endtest %}
