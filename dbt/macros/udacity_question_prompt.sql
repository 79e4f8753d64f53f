{# The opening words of a mentor question, after a greeting sentence ("Hi!", "Hello mentor.", "Hi, this is X."). #}
{% macro udacity_question_prompt(column, words=3) -%}
    nullif(array_to_string((regexp_split_to_array(trim(regexp_replace(lower(
        regexp_replace({{ column }}, '^\s*(hi|hello|hey)\M[^.!?]*[.!?]\s*', '', 'i')),
        '[^a-z'' ]+', ' ', 'g')), '\s+'))[1:{{ words }}], ' '), '')
{%- endmacro %}
