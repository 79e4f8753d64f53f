-- Outcomes per module presentation: counts and rates of each final result.
select
    presentation_key,
    count(*) as students,
    count(*) filter (where final_result = 'Pass') as passed,
    count(*) filter (where final_result = 'Distinction') as distinctions,
    count(*) filter (where final_result = 'Fail') as failed,
    count(*) filter (where final_result = 'Withdrawn') as withdrawn,
    round(count(*) filter (where final_result = 'Pass')::numeric / count(*), 4) as pass_rate,
    round(count(*) filter (where final_result = 'Distinction')::numeric / count(*), 4) as distinction_rate,
    round(count(*) filter (where final_result = 'Fail')::numeric / count(*), 4) as fail_rate,
    round(count(*) filter (where final_result = 'Withdrawn')::numeric / count(*), 4) as withdrawal_rate
from {{ ref('fct_registrations') }}
group by presentation_key
