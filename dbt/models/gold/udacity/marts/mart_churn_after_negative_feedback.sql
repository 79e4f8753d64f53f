{{ config(tags=['udacity_facts']) }}
-- Churn after negative feedback, per nanodegree. Learners who gave feedback are split in two groups:
-- `negative_feedback` (at least one rating 1-2; reference time = their first negative feedback) and
-- `other_feedback` (only ratings 3-5; reference time = their first feedback). A learner churned when
-- they have no video activity in that nanodegree in the 30 days after the reference time
-- (reference, reference + 30 days]. Learners whose 30 days end after the nanodegree's last observed event
-- are left out (censored: we cannot know yet).
with feedback as (
    select user_id, nanodegree, submitted_at, is_negative from {{ ref('fct_project_feedback') }}
    union all
    select user_id, nanodegree, submitted_at, is_negative from {{ ref('fct_section_feedback') }}
),
learners as (
    select
        user_id,
        nanodegree,
        bool_or(is_negative) as gave_negative,
        coalesce(min(submitted_at) filter (where is_negative), min(submitted_at)) as reference_at
    from feedback
    group by 1, 2
),
observed as (
    select nanodegree, max(event_ts) as observed_until from {{ ref('stg_udacity__video_log') }} group by 1
),
eligible as (
    select l.*
    from learners l
    join observed o using (nanodegree)
    where l.reference_at + interval '30 days' <= o.observed_until
),
activity as (
    select e.user_id, e.nanodegree, e.gave_negative, count(v.event_id) as events_after
    from eligible e
    left join {{ ref('stg_udacity__video_log') }} v
      on v.user_id = e.user_id
     and v.nanodegree = e.nanodegree
     and v.event_ts > e.reference_at
     and v.event_ts <= e.reference_at + interval '30 days'
    group by 1, 2, 3
)
select
    nanodegree,
    case when gave_negative then 'negative_feedback' else 'other_feedback' end as learner_group,
    count(*) as learners,
    count(*) filter (where events_after = 0) as churned,
    round((count(*) filter (where events_after = 0))::numeric / count(*), 4) as churn_share
from activity
group by 1, 2
