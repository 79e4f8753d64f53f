{# Raw bronze keeps published text; `?` and empty strings mean missing. #}
{% macro raw_text(column) -%}
    nullif(nullif(trim({{ column }}), '?'), '')
{%- endmacro %}

{% macro raw_int(column) -%}
    ({{ raw_text(column) }})::bigint
{%- endmacro %}

{% macro raw_numeric(column) -%}
    ({{ raw_text(column) }})::numeric
{%- endmacro %}
