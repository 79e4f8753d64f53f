{# Reconciliation between layers of the same grain: fails when the row counts differ. #}
{% test equal_rowcount(model, compare_model) %}
with a as (select count(*) as n from {{ model }}), b as (select count(*) as n from {{ compare_model }})
select a.n as model_rows, b.n as compare_rows from a, b where a.n <> b.n
{% endtest %}
