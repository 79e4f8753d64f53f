{# Rows that share the same values over `combination_of_columns` (a compound key), each with how many share it.
   A window over the sorted key, not GROUP BY ... HAVING: with millions of distinct keys one sort is cheaper than
   a hash table of every key. List integer columns first: they sort fastest. #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set key = combination_of_columns | join(', ') %}
select *
from (
    select {{ key }}, count(*) over (partition by {{ key }}) as n_rows
    from {{ model }}
) keyed
where n_rows > 1
{% endtest %}
