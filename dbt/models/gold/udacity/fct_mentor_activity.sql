{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- Grain: one mentor question. The question and answer texts stay in silver (they carry names and e-mails);
-- gold keeps the category, the prompt (opening words, dropped if it looks like contact data) and timings.
select
    m.question_id,
    m.nanodegree,
    m.month,
    m.user_id,
    m.mentor_id,
    m.category,
    case when m.question_prompt ~ '[@0-9]' then null else m.question_prompt end as question_prompt,
    m.asked_at,
    d.date_key as asked_date_key,
    m.is_answered,
    m.answered_at,
    m.response_minutes
from {{ ref('stg_udacity__mentor_activity') }} m
left join {{ ref('dim_date') }} d on d.date_day = m.asked_at::date
where {{ udacity_partition_filter('m.month', 'm.nanodegree') }}
