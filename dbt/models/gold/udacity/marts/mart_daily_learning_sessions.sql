{{ config(tags=['udacity_facts']) }}
-- Learning sessions per day (the day a session starts, UTC) and nanodegree, with the completion rate
-- (share of sessions with a `complete` event).
select
    s.session_date,
    s.session_date_key,
    s.nanodegree,
    count(*) as sessions,
    count(distinct s.user_id) as learners,
    count(*) filter (where s.completed) as completed_sessions,
    round((count(*) filter (where s.completed))::numeric / count(*), 4) as completion_rate,
    round(avg(s.duration_seconds) / 60.0, 1) as avg_duration_minutes,
    round(avg(s.videos_touched), 2) as avg_videos_touched
from {{ ref('fct_learning_sessions') }} s
group by 1, 2, 3
