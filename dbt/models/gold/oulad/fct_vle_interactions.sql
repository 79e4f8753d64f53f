-- Grain: a student on a VLE site on a day (published repeats summed in silver).
select
    v.presentation_key,
    v.id_student,
    v.id_site,
    v.day_offset,
    cal.week_offset,
    to_char(cal.date_day, 'YYYYMMDD')::int as date_key,
    v.sum_click,
    v.source_rows
from {{ ref('oulad_student_vle') }} v
left join {{ ref('oulad_presentation_calendar') }} cal using (presentation_key, day_offset)
