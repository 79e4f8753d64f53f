-- Published rows repeat one (student, site, day) key; the grain here is that key, clicks summed.
select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_int('id_site') }} as id_site,
    {{ raw_int('date') }}::int as day_offset,
    sum({{ raw_int('sum_click') }}) as sum_click,
    count(*) as source_rows
from {{ source('oulad', 'student_vle') }}
group by 1, 2, 3, 4
