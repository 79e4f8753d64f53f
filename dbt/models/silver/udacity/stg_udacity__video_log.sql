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
-- Repeats are found by sorting on a hash of the id first: ids share long prefixes (nanodegree-month-), so a sort
-- on the id alone compares whole strings, where the hash settles almost every comparison with one integer compare.
-- Within an id the earliest event is kept.
select distinct on (hashtext(event_id), event_id) *
from typed
where event_id <> ''
order by hashtext(event_id), event_id, event_ts
