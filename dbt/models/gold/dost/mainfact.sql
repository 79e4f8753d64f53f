-- Grain: one call of a content to a user in a program (every attempt, whatever its status; `is_delivered`
-- marks the completed and missed calls the listen rate counts, as the source's listen_rate view does).
-- Months into the program are 30-day periods from the program signup: ab_months_in 1 = days 0-29.
-- Incremental: the window's call versions (updated_at in [min_date - lag, max_date)), plus every call of a
-- user whose experience rows arrived in the window (their channel/program start may have been unknown).
{{ config(
    materialized='incremental', unique_key='campaign_id', incremental_strategy='delete+insert',
    post_hook=[
        "create index if not exists {{ this.name }}_id on {{ this }} (campaign_id)",
        "create index if not exists {{ this.name }}_group on {{ this }} (user_id, program_id, ab_months_in)",
        "create index if not exists {{ this.name }}_updated_at on {{ this }} (updated_at)",
        "create index if not exists {{ this.name }}_call_date on {{ this }} (call_date)",
    ]) }}
{%- set lo = "((timestamp '" ~ var('min_date') ~ "' - interval '" ~ var('dost_lag_hours', 24) ~ " hours') at time zone 'UTC')" %}
{%- set hi = "(timestamp '" ~ var('max_date') ~ "' at time zone 'UTC')" %}

with calls as (
    {% if is_incremental() %}
    -- a union, not an OR, so each half uses its index
    select * from {{ ref('dost_campaign') }} where updated_at >= {{ lo }} and updated_at < {{ hi }}
    union
    select * from {{ ref('dost_campaign') }}
    where user_id in (select user_id from {{ ref('dost_experience') }} where created_on >= {{ lo }} and created_on < {{ hi }})
    {% else %}
    select * from {{ ref('dost_campaign') }}
    {% endif %}
), enrollments as (
    select x.user_id, x.program_id, min(x.created_on) as enrolled_at
    from {{ ref('dost_experience') }} x
    where x.user_id in (select user_id from calls)
    group by x.user_id, x.program_id
), programs as (
    select program_id, max(sequence_index) as maxseq from {{ ref('dost_programseq') }} group by program_id
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
        (e.enrolled_at at time zone 'UTC')::date as prog_start,
        ps.sequence_index,
        c.listen_secs as listen,
        ct.duration_sec,
        p.maxseq,
        c.attempted_at,
        c.call_start_at,
        c.updated_at
    from calls c
    left join {{ ref('dost_experience') }} x on x.experience_id = c.experience_id
    left join enrollments e on e.user_id = c.user_id and e.program_id = c.program_id
    left join {{ ref('dost_content') }} ct on ct.content_id = c.content_id
    left join {{ ref('dost_programseq') }} ps on ps.programseq_id = c.programseq_id
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
    prog_start,
    extract(year from prog_start)::int * 12 + extract(month from prog_start)::int as programstartmonth_abs,
    extract(year from call_date)::int * 12 + extract(month from call_date)::int as deploymonth_abs,
    (call_date - prog_start) / 30 + 1 as ab_months_in,
    sequence_index,
    listen,
    duration_sec,
    case when is_delivered then duration_sec else 0 end as sent_secs,
    maxseq,
    attempted_at,
    call_start_at,
    updated_at
from facts
