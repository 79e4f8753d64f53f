-- The published click rows, typed. A view, as dbt staging models are: gold.fct_vle_interactions reads it once,
-- so materializing 10.4 M rows here would cost a full write and a full read for nothing.
-- The file has no key: one (student, site, day) repeats on several rows whose clicks add up (summed in gold).
{{ config(materialized='view') }}
select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    code_module,
    code_presentation,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_int('id_site') }} as id_site,
    {{ raw_int('date') }}::int as day_offset,
    {{ raw_int('sum_click') }} as sum_click
from {{ source('oulad', 'student_vle') }}
