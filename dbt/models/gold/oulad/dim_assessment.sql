select
    a.id_assessment,
    a.presentation_key,
    a.code_module,
    a.assessment_type,
    a.weight,
    a.due_day_offset,
    (c.presentation_start_date + a.due_day_offset)::date as due_date
from {{ ref('stg_oulad__assessments') }} a
join {{ ref('stg_oulad__courses') }} c using (presentation_key)
