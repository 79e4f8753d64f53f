{# Raw bronze keeps published text; `?` and empty strings mean missing. Numbers are cast without trim():
   PostgreSQL's numeric input already ignores surrounding blanks (and trim costs ~0.7 s per 10 M values);
   anything else that is not a number has already failed the bronze numeric_values check. #}
{% macro raw_text(column) -%}
    nullif(nullif(trim({{ column }}), '?'), '')
{%- endmacro %}

{% macro raw_int(column) -%}
    (nullif(nullif({{ column }}, '?'), ''))::bigint
{%- endmacro %}

{% macro raw_numeric(column) -%}
    (nullif(nullif({{ column }}, '?'), ''))::numeric
{%- endmacro %}
