-- Grain: a student in a module presentation.
select
    i.presentation_key,
    i.id_student,
    i.code_module,
    i.final_result,
    i.num_of_prev_attempts,
    i.studied_credits,
    r.registration_day_offset,
    r.unregistration_day_offset,
    to_char(c.presentation_start_date + r.registration_day_offset, 'YYYYMMDD')::int as registration_date_key,
    to_char(c.presentation_start_date + r.unregistration_day_offset, 'YYYYMMDD')::int as unregistration_date_key,
    i.final_result = 'Withdrawn' as is_withdrawn
from {{ ref('stg_oulad__student_info') }} i
join {{ ref('stg_oulad__courses') }} c using (presentation_key)
left join {{ ref('stg_oulad__student_registration') }} r using (presentation_key, id_student)
