-- Grain: a student's submission of an assessment.
select
    s.id_assessment,
    s.id_student,
    a.presentation_key,
    s.submitted_day_offset,
    to_char(c.presentation_start_date + s.submitted_day_offset, 'YYYYMMDD')::int as submitted_date_key,
    s.submitted_day_offset - a.due_day_offset as days_after_due,
    s.is_banked,
    s.score,
    s.score >= 40 as is_pass
from {{ ref('stg_oulad__student_assessment') }} s
join {{ ref('stg_oulad__assessments') }} a using (id_assessment)
join {{ ref('stg_oulad__courses') }} c on c.presentation_key = a.presentation_key
