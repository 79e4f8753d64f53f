{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- Grain: one video view. A view starts with a `play` that does not resume a `pause` of the same video
-- (the learner's previous event); the pauses, resumes and `complete` that follow belong to it, up to the
-- learner's next view. Views are built from one partition's events (a resume across partitions counts anew).
with events as (
    select * from {{ ref('stg_udacity__video_log') }}
    where {{ udacity_partition_filter() }}
),
flagged as (
    select
        *,
        case
            when event_type = 'play'
             and (lag(event_type) over w is distinct from 'pause' or lag(video_id) over w is distinct from video_id)
            then 1 else 0
        end as is_view_start
    from events
    window w as (partition by nanodegree, month, user_id order by event_ts, event_id collate "C")
),
numbered as (
    select
        *,
        sum(is_view_start) over (
            partition by nanodegree, month, user_id order by event_ts, event_id collate "C" rows unbounded preceding
        ) as view_number
    from flagged
),
views as (
    select
        nanodegree,
        month,
        user_id,
        view_number,
        -- a view's first event is its one start row (view_number counts the starts)
        max(event_id) filter (where is_view_start = 1) as view_id,
        max(video_id) filter (where is_view_start = 1) as video_id,
        min(event_ts) as started_at,
        max(event_ts) as last_event_at,
        sum(seconds_watched) as seconds_watched,
        count(*) as events,
        bool_or(event_type = 'complete') as completed
    from numbered
    where view_number > 0  -- events before the partition's first play of a learner
    group by 1, 2, 3, 4
)
select
    v.view_id,
    v.nanodegree,
    v.month,
    v.user_id,
    v.video_id,
    v.started_at,
    d.date_key as view_date_key,
    v.last_event_at,
    v.seconds_watched,
    v.events,
    v.completed
from views v
left join {{ ref('dim_date') }} d on d.date_day = v.started_at::date
