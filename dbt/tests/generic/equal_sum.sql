{# Reconciliation of a measure between layers: sum(column) here equals sum(compare_expression) there. #}
{% test equal_sum(model, column_name, compare_model, compare_expression) %}
with a as (select coalesce(sum({{ column_name }}), 0)::numeric as total from {{ model }}),
     b as (select coalesce(sum({{ compare_expression }}), 0)::numeric as total from {{ compare_model }})
select a.total as model_total, b.total as compare_total from a, b where a.total <> b.total
{% endtest %}
