{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- One row per section feedback, typed; negative = rating 1 or 2. The free text stays in silver (it may hold
-- names and e-mail addresses); gold keeps only the rating and the terms of the themes mart.
with landed as (
    select * from {{ source('udacity', 'section_feedback') }}
    where {{ udacity_partition_filter() }}
),
typed as (
    select
        trim(feedback_id) as feedback_id,
        nanodegree,
        month::date as month,
        trim(user_id) as user_id,
        trim(section_id) as section_id,
        ({{ raw_text('submitted_at') }})::timestamptz at time zone 'UTC' as submitted_at,
        {{ raw_integer('rating') }} as rating,
        {{ raw_text('feedback_text') }} as feedback_text
    from landed
)
select distinct on (feedback_id)
    *,
    rating <= 2 as is_negative
from typed
where feedback_id <> ''
order by feedback_id, submitted_at
