-- When students withdraw (week of the presentation), and how they engaged and scored before leaving.
with withdrawn as (
    select presentation_key, id_student, unregistration_day_offset,
           floor(unregistration_day_offset / 7.0)::int as withdrawal_week
    from {{ ref('fct_registrations') }}
    where is_withdrawn and unregistration_day_offset is not null
),
clicks as (
    select w.presentation_key, w.id_student, coalesce(sum(v.sum_click), 0) as clicks_before
    from withdrawn w
    left join {{ ref('fct_vle_interactions') }} v
      on v.presentation_key = w.presentation_key and v.id_student = w.id_student
     and v.day_offset < w.unregistration_day_offset
    group by 1, 2
),
scores as (
    select w.presentation_key, w.id_student, avg(s.score) as avg_score_before, count(s.id_assessment) as submissions_before
    from withdrawn w
    left join {{ ref('fct_assessment_submissions') }} s
      on s.presentation_key = w.presentation_key and s.id_student = w.id_student
     and s.submitted_day_offset < w.unregistration_day_offset
    group by 1, 2
)
select
    w.presentation_key,
    w.withdrawal_week,
    count(*) as withdrawals,
    round(avg(c.clicks_before), 2) as avg_clicks_before_withdrawal,
    round(avg(s.avg_score_before), 2) as avg_score_before_withdrawal,
    round(avg(s.submissions_before), 2) as avg_submissions_before_withdrawal
from withdrawn w
join clicks c using (presentation_key, id_student)
join scores s using (presentation_key, id_student)
group by 1, 2
