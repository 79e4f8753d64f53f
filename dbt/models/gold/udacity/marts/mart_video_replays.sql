{{ config(tags=['udacity_facts']) }}
-- Replays: for each nanodegree, month (of the landed partition) and video, how many times its viewers
-- watched it. views_per_viewer > 1 means learners came back to it; replay_rank 1 = the most replayed.
with per_viewer as (
    select nanodegree, month, video_id, user_id, count(*) as views
    from {{ ref('fct_video_views') }}
    group by 1, 2, 3, 4
),
per_video as (
    select
        nanodegree,
        month,
        video_id,
        count(*) as viewers,
        sum(views) as views,
        sum(views) - count(*) as replays,
        round(sum(views)::numeric / count(*), 3) as views_per_viewer,
        max(views) as max_views_by_one_viewer
    from per_viewer
    group by 1, 2, 3
)
select
    p.nanodegree,
    p.month,
    p.video_id,
    v.video_title,
    v.section_id,
    p.viewers,
    p.views,
    p.replays,
    p.views_per_viewer,
    p.max_views_by_one_viewer,
    rank() over (partition by p.nanodegree, p.month order by p.views_per_viewer desc, p.views desc) as replay_rank
from per_video p
left join {{ ref('dim_video') }} v on v.video_id = p.video_id
