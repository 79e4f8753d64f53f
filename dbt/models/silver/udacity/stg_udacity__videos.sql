{{ config(tags=['udacity_dims']) }}
-- One row per video, with its section and duration.
with typed as (
    select
        trim(video_id) as video_id,
        trim(nanodegree) as nanodegree,
        trim(section_id) as section_id,
        {{ raw_text('section_title') }} as section_title,
        {{ raw_text('video_title') }} as video_title,
        {{ raw_integer('position') }} as position,
        {{ raw_integer('duration_seconds') }} as duration_seconds,
        ({{ raw_text('updated_at') }})::timestamptz at time zone 'UTC' as updated_at
    from {{ source('udacity', 'videos') }}
)
select distinct on (video_id) *
from typed
where video_id <> ''
order by video_id, updated_at desc nulls last
