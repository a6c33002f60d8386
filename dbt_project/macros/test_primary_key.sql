{#- A column that identifies its rows: never null, never repeated. One test node instead of
    `unique` plus `not_null` (each node costs dbt ~0.1 s of its own, whatever the table size). -#}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as rows_with_key
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
