-- Weekly clicks per student, by final result.
-- Integer keys lead the group-by: they hash and compare cheaper than the text key. A student's weekly clicks
-- stay a bigint, so the outer sum and average add integers, not numerics.
with weekly as (
    select v.presentation_key, v.id_student, v.week_offset, sum(v.sum_click)::bigint as clicks
    from {{ ref('fct_vle_interactions') }} v
    group by v.id_student, v.week_offset, v.presentation_key
)
select
    w.presentation_key,
    w.week_offset,
    r.final_result,
    count(*) as active_students,
    sum(w.clicks) as clicks,
    round(avg(w.clicks), 2) as avg_clicks_per_active_student
from weekly w
join {{ ref('fct_registrations') }} r using (presentation_key, id_student)
group by 1, 2, 3
