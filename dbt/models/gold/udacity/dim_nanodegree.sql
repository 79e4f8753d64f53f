{{ config(tags=['udacity_dims']) }}
-- One row per nanodegree found in the catalogue (projects and videos), with its size.
with names as (
    select nanodegree from {{ ref('stg_udacity__projects') }}
    union
    select nanodegree from {{ ref('stg_udacity__videos') }}
),
videos as (
    select nanodegree, count(distinct section_id) as sections, count(*) as videos,
           round(sum(duration_seconds) / 60.0, 1) as video_minutes
    from {{ ref('stg_udacity__videos') }}
    group by 1
),
projects as (
    select nanodegree, count(*) as projects from {{ ref('stg_udacity__projects') }} group by 1
)
select
    n.nanodegree,
    initcap(replace(n.nanodegree, '_', ' ')) as nanodegree_name,
    coalesce(v.sections, 0) as sections,
    coalesce(p.projects, 0) as projects,
    coalesce(v.videos, 0) as videos,
    coalesce(v.video_minutes, 0) as video_minutes
from names n
left join videos v using (nanodegree)
left join projects p using (nanodegree)
