{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- One row per mentor question, typed, with its prompt (the opening words after a greeting) and response time.
with landed as (
    select * from {{ source('udacity', 'mentor_activity') }}
    where {{ udacity_partition_filter() }}
),
typed as (
    select
        trim(question_id) as question_id,
        nanodegree,
        month::date as month,
        trim(user_id) as user_id,
        {{ raw_text('mentor_id') }} as mentor_id,
        lower({{ raw_text('category') }}) as category,
        {{ raw_text('question_text') }} as question_text,
        ({{ raw_text('asked_at') }})::timestamptz at time zone 'UTC' as asked_at,
        {{ raw_text('answer_text') }} as answer_text,
        ({{ raw_text('answered_at') }})::timestamptz at time zone 'UTC' as answered_at
    from landed
)
select distinct on (question_id)
    *,
    {{ udacity_question_prompt('question_text') }} as question_prompt,
    answered_at is not null as is_answered,
    round(extract(epoch from answered_at - asked_at) / 60.0, 1) as response_minutes
from typed
where question_id <> ''
order by question_id, asked_at
