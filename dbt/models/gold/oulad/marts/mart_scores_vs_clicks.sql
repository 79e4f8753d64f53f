-- Per registration: total clicks against average assessment score, with the final result.
with clicks as (
    select presentation_key, id_student, sum(sum_click) as total_clicks
    from {{ ref('fct_vle_interactions') }} group by id_student, presentation_key  -- integer key first: cheaper
),
scores as (
    select presentation_key, id_student, avg(score) as avg_score, count(*) as submissions
    from {{ ref('fct_assessment_submissions') }} group by 1, 2
)
select
    r.presentation_key,
    r.id_student,
    r.final_result,
    coalesce(c.total_clicks, 0) as total_clicks,
    round(s.avg_score, 2) as avg_score,
    coalesce(s.submissions, 0) as submissions
from {{ ref('fct_registrations') }} r
left join clicks c using (presentation_key, id_student)
left join scores s using (presentation_key, id_student)
