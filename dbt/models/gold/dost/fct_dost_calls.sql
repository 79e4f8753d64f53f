-- Grain: one call of a content to a user in a program (every attempt, whatever its status; `is_delivered`
-- marks the completed and missed calls the listen rate counts, as the source's listen_rate view does).
-- Historical name: mainfact. Months into the program are 30-day periods from the program signup:
-- month_in_program 1 = days 0-29.
-- Incremental: the window's call versions (updated_at in [min_date - lag, max_date)), plus every call of a
-- user whose experience rows arrived in the window (their channel/program start may have been unknown).
{{ config(
    materialized='incremental', unique_key='campaign_id', incremental_strategy='delete+insert',
    post_hook=[
        "create index if not exists {{ this.name }}_id on {{ this }} (campaign_id)",
        "create index if not exists {{ this.name }}_group on {{ this }} (user_id, program_id, month_in_program)",
        "create index if not exists {{ this.name }}_updated_at on {{ this }} (updated_at)",
        "create index if not exists {{ this.name }}_call_date on {{ this }} (call_date)",
    ]) }}

with calls as (
    {% if is_incremental() %}
    -- a union, not an OR, so each half uses its index
    select * from {{ ref('stg_dost__campaign') }} where {{ in_dost_window('updated_at') }}
    union
    select * from {{ ref('stg_dost__campaign') }}
    where user_id in (select user_id from {{ ref('stg_dost__experience') }} where {{ in_dost_window('created_on') }})
    {% else %}
    select * from {{ ref('stg_dost__campaign') }}
    {% endif %}
), enrollments as (
    select x.user_id, x.program_id, min(x.created_on) as enrolled_at
    from {{ ref('stg_dost__experience') }} x
    where x.user_id in (select user_id from calls)
    group by x.user_id, x.program_id
), programs as (
    select program_id, max(sequence_index) as last_sequence_index from {{ ref('stg_dost__programseq') }} group by program_id
), facts as (
    select
        c.campaign_id,
        c.user_id,
        c.program_id,
        c.content_id,
        x.provider_number as channel_id,
        c.experience_id,
        c.status,
        c.status in ('completed', 'missed') as is_delivered,
        c.call_date,
        to_char(c.call_date, 'YYYYMMDD')::int as date_key,
        (e.enrolled_at at time zone 'UTC')::date as program_start_date,
        ps.sequence_index,
        c.listen_secs,
        ct.duration_sec,
        p.last_sequence_index as program_last_sequence_index,
        c.attempted_at,
        c.call_start_at,
        c.updated_at
    from calls c
    left join {{ ref('stg_dost__experience') }} x on x.experience_id = c.experience_id
    left join enrollments e on e.user_id = c.user_id and e.program_id = c.program_id
    left join {{ ref('stg_dost__content') }} ct on ct.content_id = c.content_id
    left join {{ ref('stg_dost__programseq') }} ps on ps.programseq_id = c.programseq_id
    left join programs p on p.program_id = c.program_id
)
select
    campaign_id,
    user_id,
    program_id,
    content_id,
    channel_id,
    experience_id,
    status,
    is_delivered,
    call_date,
    date_key,
    program_start_date,
    extract(year from program_start_date)::int * 12 + extract(month from program_start_date)::int as program_start_month_number,
    extract(year from call_date)::int * 12 + extract(month from call_date)::int as call_month_number,
    (call_date - program_start_date) / 30 + 1 as month_in_program,
    sequence_index,
    listen_secs,
    duration_sec,
    case when is_delivered then duration_sec else 0 end as sent_secs,
    program_last_sequence_index,
    attempted_at,
    call_start_at,
    updated_at
from facts
