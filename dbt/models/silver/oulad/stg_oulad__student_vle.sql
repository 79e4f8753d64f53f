-- The published click rows, typed. A view, as dbt staging models are: gold.fct_vle_interactions reads it once,
-- so materializing 10.4 M rows here would cost a full write and a full read for nothing.
-- The file has no key: one (student, site, day) repeats on several rows whose clicks add up (summed in gold).
-- Day offsets and clicks are 32-bit integers: gold's sum of them is a bigint held by value, which its parallel
-- group-by passes between processes far cheaper than the numeric a sum of bigints would be.
{{ config(materialized='view') }}
select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    code_module,
    code_presentation,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_int('id_site') }} as id_site,
    {{ raw_integer('date') }} as day_offset,
    {{ raw_integer('sum_click') }} as sum_click
from {{ source('oulad', 'student_vle') }}
