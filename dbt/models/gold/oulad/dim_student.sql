-- One row per student; demographics from the student's latest presentation.
select distinct on (i.id_student)
    i.id_student,
    i.gender,
    i.region,
    i.highest_education,
    i.imd_band,
    i.age_band,
    i.has_disability,
    count(*) over (partition by i.id_student) as presentations_taken
from {{ ref('stg_oulad__student_info') }} i
join {{ ref('stg_oulad__courses') }} c using (presentation_key)
order by i.id_student, c.presentation_start_date desc
