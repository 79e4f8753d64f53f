{# OULAD presentations: `YYYYB` starts in February of YYYY, `YYYYJ` in October. Dates are day offsets from the start. #}
{% macro oulad_presentation_start(code_presentation) -%}
    make_date(left({{ code_presentation }}, 4)::int, case right({{ code_presentation }}, 1) when 'B' then 2 when 'J' then 10 end, 1)
{%- endmacro %}
