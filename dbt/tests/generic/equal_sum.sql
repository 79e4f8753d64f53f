{# Reconciliation of measures between layers: for each measure, sum(column) here equals sum(expression) there.
   One measure is `column_name` + `compare_expression`; several are `measures` ({column here: expression there}),
   summed in one scan of each side, so a large fact pays one read per side whatever the number of measures.
   A failing row names its measure. #}
{% test equal_sum(model, compare_model, column_name=none, compare_expression=none, measures=none) %}
{%- set measures = measures or {column_name: compare_expression} -%}
with a as (
    select {% for column in measures %}coalesce(sum({{ column }}), 0)::numeric as m{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from {{ model }}
), b as (
    select {% for column, expression in measures.items() %}coalesce(sum({{ expression }}), 0)::numeric as m{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from {{ compare_model }}
)
{% for column in measures -%}
select '{{ column }}' as measure, a.m{{ loop.index }} as model_total, b.m{{ loop.index }} as compare_total
from a, b where a.m{{ loop.index }} <> b.m{{ loop.index }}
{{ "union all" if not loop.last }}
{% endfor %}
{% endtest %}
