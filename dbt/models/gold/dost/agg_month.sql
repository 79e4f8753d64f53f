-- depends_on: {{ ref('dost_experience') }}
-- Per user, program and month into the program: seconds listened against seconds sent (completed and
-- missed calls, as the source's listen_rate view), and the listen rate.
-- Incremental: the groups a call of the window touched are recomputed whole from mainfact.
{{ config(
    materialized='incremental', unique_key=['user_id', 'program_id', 'ab_months_in'], incremental_strategy='delete+insert',
    post_hook=[
        "create index if not exists {{ this.name }}_key on {{ this }} (user_id, program_id, ab_months_in)",
        "create index if not exists {{ this.name }}_updated on {{ this }} (last_updated_at)",
    ]) }}
{%- set lo = "((timestamp '" ~ var('min_date') ~ "' - interval '" ~ var('dost_lag_hours', 24) ~ " hours') at time zone 'UTC')" %}
{%- set hi = "(timestamp '" ~ var('max_date') ~ "' at time zone 'UTC')" %}

with calls as (
    select m.* from {{ ref('mainfact') }} m
    {% if is_incremental() %}
    join (
        select user_id, program_id, ab_months_in from {{ ref('mainfact') }}
        where updated_at >= {{ lo }} and updated_at < {{ hi }}
        union
        select user_id, program_id, ab_months_in from {{ ref('mainfact') }}
        where user_id in (select user_id from {{ ref('dost_experience') }} where created_on >= {{ lo }} and created_on < {{ hi }})
    ) touched using (user_id, program_id, ab_months_in)
    {% endif %}
)
select
    user_id,
    program_id,
    ab_months_in,
    min(channel_id) as channel_id,
    min(prog_start) as prog_start,
    count(*) as calls,
    count(*) filter (where is_delivered) as delivered_calls,
    count(*) filter (where status = 'completed') as completed_calls,
    sum(case when is_delivered then listen else 0 end) as listen_secs,
    sum(sent_secs) as sent_secs,
    case when sum(sent_secs) > 0
         then round(sum(case when is_delivered then listen else 0 end)::numeric / sum(sent_secs), 6) end as listen_rate,
    min(call_start_at) filter (where status = 'completed') as first_completed_at,
    max(updated_at) as last_updated_at
from calls
group by user_id, program_id, ab_months_in
