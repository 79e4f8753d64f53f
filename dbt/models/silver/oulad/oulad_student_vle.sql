-- Published rows repeat one (student, site, day) key; the grain here is that key, clicks summed.
-- Grouping on the raw text first and typing the (fewer) groups afterwards keeps the 10 M-row scan cheap.
with grouped as (
    select code_module, code_presentation, id_student, id_site, date,
           sum({{ raw_int('sum_click') }}) as sum_click, count(*) as source_rows
    from {{ source('oulad', 'student_vle') }}
    group by code_module, code_presentation, id_student, id_site, date
)
select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_int('id_site') }} as id_site,
    {{ raw_int('date') }}::int as day_offset,
    sum_click,
    source_rows
from grouped
