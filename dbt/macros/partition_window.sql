{# The partition window of every incremental model. Dagster hands dbt the run's window, min_date (its first day)
   and max_date (the day after its last), YYYY-MM-DD in UTC, and the run's nanodegrees, as run values (`run_var`);
   without them (a plain `dbt build`) the defaults in dbt_project.yml cover all history. Incremental models select,
   and replace, their rows through these macros only, so the bounds are written once. #}

{# A value of this run: the environment variable EDU_DBT_RUN_<NAME> (JSON) when dbt executes, else var(name), so
   `dbt build --vars '{min_date: ...}'` by hand works too. Read only when executing: dbt re-parses the whole project
   whenever --vars change, while a value read at execution leaves parsing alone, so one parse serves every
   partition (edu_platform.lib.dbt hands the values in). #}
{% macro run_var(name, default=none) -%}
    {%- if execute -%}
        {%- set raw = env_var('EDU_DBT_RUN_' ~ (name | upper), '') -%}
        {%- if raw -%}
            {{ return(fromjson(raw)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(var(name, default)) }}
{%- endmacro %}

{% macro window_date(name) -%}
    {%- set value = run_var(name) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ exceptions.raise_compiler_error("invalid " ~ name ~ " " ~ value ~ ": expected YYYY-MM-DD") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{# Window start as a UTC timestamp, moved back by lag_hours (rows committed late still belong to the window). #}
{% macro window_start(lag_hours=0) -%}
    ((timestamp '{{ window_date("min_date") }}' - interval '{{ lag_hours }} hours') at time zone 'UTC')
{%- endmacro %}

{% macro window_end() -%}
    (timestamp '{{ window_date("max_date") }}' at time zone 'UTC')
{%- endmacro %}

{# A timestamp column in the window [start - lag_hours, end). #}
{% macro in_window(column, lag_hours=0) -%}
    {{ column }} >= {{ window_start(lag_hours) }} and {{ column }} < {{ window_end() }}
{%- endmacro %}

{# A date column on a day of the window. #}
{% macro in_date_window(column) -%}
    {{ column }}::date >= '{{ window_date("min_date") }}'::date and {{ column }}::date < '{{ window_date("max_date") }}'::date
{%- endmacro %}

{# Dost (weekly windows): rows corrected up to var dost_lag_hours after the week belong to it. #}
{% macro dost_lag_hours() -%}
    {{ return(run_var('dost_lag_hours', 24)) }}
{%- endmacro %}

{% macro dost_window_start() -%}
    {{ window_start(dost_lag_hours()) }}
{%- endmacro %}

{% macro in_dost_window(column) -%}
    {{ in_window(column, dost_lag_hours()) }}
{%- endmacro %}

{# Online courses (udacity): a run covers every month of the window for every nanodegree of run value nanodegrees (a
   list; one partition or a backfill range alike). Without it, every nanodegree. #}
{% macro udacity_nanodegrees() -%}
    {%- set value = run_var('nanodegrees', []) -%}
    {%- set names = [value] if value is string else value -%}
    {%- for name in names -%}
        {%- if not modules.re.match('^[a-z_][a-z0-9_]{0,62}$', name | string) -%}
            {{ exceptions.raise_compiler_error("invalid nanodegree in nanodegrees: " ~ name ~ " (expected a lower-case identifier)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | list) }}
{%- endmacro %}

{# Rows of the partitions being built: the month window and (when given) the nanodegrees. #}
{% macro udacity_partition_filter(month_column='month', nanodegree_column='nanodegree') -%}
    {{ in_date_window(month_column) }}
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

{# A test's `where:` is rendered when dbt parses, before the run's window is known, so a window test names the
   window start as the placeholder `__dost_window_start__`, replaced here when the test compiles. Otherwise dbt's
   own get_where_subquery. #}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = (config.get('where') or '') | replace('__dost_window_start__', dost_window_start()) -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
