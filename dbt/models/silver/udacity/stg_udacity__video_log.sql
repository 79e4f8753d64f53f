{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- One row per video-log event (the export repeats some events verbatim), typed, timestamps in UTC.
-- Incremental by partition: the pre-hook deletes the (month, nanodegree) being built, in the same transaction.
with landed as (
    select * from {{ source('udacity', 'video_log') }}
    where {{ udacity_partition_filter() }}
),
typed as (
    select
        trim(event_id) as event_id,
        nanodegree,
        month::date as month,
        trim(user_id) as user_id,
        trim(video_id) as video_id,
        ({{ raw_text('event_ts') }})::timestamptz at time zone 'UTC' as event_ts,
        lower({{ raw_text('event_type') }}) as event_type,
        coalesce({{ raw_int('seconds_watched') }}, 0)::int as seconds_watched
    from landed
    where {{ raw_text('event_ts') }} is not null  -- on the text: the timestamp is parsed once, below
)
-- Deduplicated by sorting on the id, which also writes the table in about the order of its ids (nanodegree, month,
-- then time): the views and sessions built from it sort rows in that order much faster than rows in random order.
select distinct on (event_id) *
from typed
where event_id <> ''
order by event_id, event_ts
