{{ config(tags=['udacity_facts']) }}
-- Learning sessions: a learner's video-log events (all nanodegrees, all partitions) split where the
-- learner was inactive for MORE than 15 minutes. A gap of exactly 15:00 keeps the session going; 15:01
-- starts a new one. Events are ordered by timestamp (then event_id), whatever order they landed in, so a
-- session may run across midnight and across a month boundary. Duration = last event - first event
-- (0 for a single event); `completed` = a `complete` event inside the session.
-- Rebuilt as a whole on every partition run: a session can span two partitions.
with events as (
    select user_id, nanodegree, video_id, event_id, event_ts, event_type
    from {{ ref('stg_udacity__video_log') }}
),
flagged as (
    select
        *,
        case
            when lag(event_ts) over w is null or event_ts - lag(event_ts) over w > interval '15 minutes' then 1
            else 0
        end as starts_session
    from events
    window w as (partition by user_id order by event_ts, event_id collate "C")
),
numbered as (
    select
        *,
        sum(starts_session) over (partition by user_id order by event_ts, event_id collate "C" rows unbounded preceding) as session_number
    from flagged
),
sessions as (
    select
        user_id,
        session_number,
        (array_agg(nanodegree order by event_ts, event_id collate "C"))[1] as nanodegree,
        min(event_ts) as session_start,
        max(event_ts) as session_end,
        count(*) as events,
        count(distinct video_id) as videos_touched,
        bool_or(event_type = 'complete') as completed
    from numbered
    group by 1, 2
)
select
    user_id || '_' || to_char(session_start, 'YYYY-MM-DD"T"HH24:MI:SS') as session_id,
    user_id,
    nanodegree,
    session_number,
    session_start,
    session_end,
    extract(epoch from session_end - session_start)::int as duration_seconds,
    events,
    videos_touched,
    completed,
    session_start::date as session_date,
    d.date_key as session_date_key
from sessions s
left join {{ ref('dim_date') }} d on d.date_day = s.session_start::date
