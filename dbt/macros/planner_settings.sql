{# PostgreSQL planner settings, in one place. A model's transaction starts with the statements of its profile
   (`set local`: they end with the transaction, nothing else is touched). They were chosen on a 2-core machine
   for the published data sizes; on your own server, turn them all off with the dbt var
   `edu_planner_settings: false` (or EDU_PLANNER_SETTINGS=false in the environment of the Dagster code server,
   which dbt inherits) and let your server's configuration decide. Figures are unchanged either way: only
   time and memory differ.

   A model picks a profile with `config(meta={'planner_profile': '<name>'})`; every other model gets `default`.
     default                every model: large group-bys, sorts and joins stay in memory instead of spilling
                            to temporary files (PostgreSQL's default work_mem is 4 MB).
     sorted_group_by        gold.fct_vle_interactions: the click rows fall into almost as many groups as
                            rows, so grouping by sorting beats a hash table that would not fit; the planner
                            cannot know that, so hash aggregation is off. It would then merge-join the small
                            presentation calendar after a second sort of every group: merge joins are off, so
                            the calendar is hash-joined. The scan and sort run on two parallel workers. #}

{% macro planner_profiles() -%}
    {{ return({
        'default': {'work_mem': "'256MB'"},
        'sorted_group_by': {
            'work_mem': "'1GB'",
            'enable_hashagg': 'off',
            'enable_mergejoin': 'off',
            'max_parallel_workers_per_gather': '2',
        },
    }) }}
{%- endmacro %}

{% macro planner_settings_enabled() -%}
    {%- set value = var('edu_planner_settings', env_var('EDU_PLANNER_SETTINGS', 'true')) | string | lower | trim -%}
    {{ return(value not in ('false', '0', 'no', 'off')) }}
{%- endmacro %}

{# The project-wide pre-hook (dbt_project.yml): the `set local` statements of the model's profile, or nothing. #}
{% macro planner_settings() -%}
    {%- if planner_settings_enabled() -%}
        {%- set name = (config.get('meta') or {}).get('planner_profile', 'default') -%}
        {%- set profiles = planner_profiles() -%}
        {%- if name not in profiles -%}
            {{ exceptions.raise_compiler_error("unknown planner_profile " ~ name ~ " (macros/planner_settings.sql has: " ~ (profiles.keys() | join(', ')) ~ ")") }}
        {%- endif -%}
        {%- for setting, value in profiles[name].items() -%}
            set local {{ setting }} = {{ value }};{{ ' ' if not loop.last }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
