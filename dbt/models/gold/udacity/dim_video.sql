{{ config(tags=['udacity_dims']) }}
select video_id, nanodegree, section_id, section_title, video_title, position, duration_seconds
from {{ ref('stg_udacity__videos') }}
