{# Raw bronze keeps published text; `?` and empty strings mean missing. Numbers are cast without trim():
   PostgreSQL's numeric input already ignores surrounding blanks, so a trim would only cost time; anything else
   that is not a number has already failed the bronze numeric_values check. #}
{% macro raw_text(column) -%}
    nullif(nullif(trim({{ column }}), '?'), '')
{%- endmacro %}

{% macro raw_untrimmed(column) -%}
    nullif(nullif({{ column }}, '?'), '')
{%- endmacro %}

{% macro raw_int(column) -%}
    ({{ raw_untrimmed(column) }})::bigint
{%- endmacro %}

{# A 32-bit integer (day offsets, counts per row, ratings): cheaper to sort, sum and move between parallel
   workers than a bigint; sum() of it is a bigint held by value. A value beyond its range fails the model. #}
{% macro raw_integer(column) -%}
    ({{ raw_untrimmed(column) }})::integer
{%- endmacro %}

{% macro raw_numeric(column) -%}
    ({{ raw_untrimmed(column) }})::numeric
{%- endmacro %}
