{# Online-course (udacity) partitions: Dagster hands dbt the months of its run (vars min_date, max_date: a
   window of whole months) and the nanodegrees (var nanodegrees, a list); a run covers every month of the
   window for every listed nanodegree, one partition or a backfill range alike. Without them a model covers
   all history. #}

{% macro udacity_nanodegrees() -%}
    {%- set value = var('nanodegrees', []) -%}
    {%- set names = [value] if value is string else value -%}
    {%- for name in names -%}
        {%- if not modules.re.match('^[a-z_][a-z0-9_]{0,62}$', name | string) -%}
            {{ exceptions.raise_compiler_error("invalid nanodegree in var nanodegrees: " ~ name ~ " (expected a lower-case identifier)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | list) }}
{%- endmacro %}

{% macro udacity_window_date(name) -%}
    {%- set value = var(name) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ exceptions.raise_compiler_error("invalid " ~ name ~ " var " ~ value ~ ": expected YYYY-MM-DD") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{# Rows of the partitions being built: the month window and (when given) the nanodegrees. #}
{% macro udacity_partition_filter(month_column='month', nanodegree_column='nanodegree') -%}
    {{ month_column }}::date >= '{{ udacity_window_date("min_date") }}'::date
    and {{ month_column }}::date < '{{ udacity_window_date("max_date") }}'::date
    {%- set names = udacity_nanodegrees() %}
    {%- if names %} and {{ nanodegree_column }} in ({% for name in names %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %}){% endif %}
{%- endmacro %}

{# pre-hook of the incremental models: delete the run's partitions; the insert that follows commits with it. #}
{% macro udacity_replace_partition() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ udacity_partition_filter() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# The opening words of a mentor question, after a greeting sentence ("Hi!", "Hello mentor.", "Hi, this is X."). #}
{% macro udacity_question_prompt(column, words=3) -%}
    nullif(array_to_string((regexp_split_to_array(trim(regexp_replace(lower(
        regexp_replace({{ column }}, '^\s*(hi|hello|hey)\M[^.!?]*[.!?]\s*', '', 'i')),
        '[^a-z'' ]+', ' ', 'g')), '\s+'))[1:{{ words }}], ' '), '')
{%- endmacro %}

{# Reconciliation within the partition being built: a failure in one partition never blocks the others
   (a whole-table comparison would, while earlier partitions are still being repaired). #}
{% test udacity_partition_rowcount(model, compare_model) %}
with a as (select count(*) as n from {{ model }} where {{ udacity_partition_filter() }}),
     b as (select count(*) as n from {{ compare_model }} where {{ udacity_partition_filter() }})
select a.n as model_rows, b.n as compare_rows from a, b where a.n <> b.n
{% endtest %}

{% test udacity_partition_sum(model, column_name, compare_model, compare_expression) %}
with a as (select coalesce(sum({{ column_name }}), 0)::numeric as total from {{ model }} where {{ udacity_partition_filter() }}),
     b as (select coalesce(sum({{ compare_expression }}), 0)::numeric as total from {{ compare_model }} where {{ udacity_partition_filter() }})
select a.total as model_total, b.total as compare_total from a, b where a.total <> b.total
{% endtest %}
