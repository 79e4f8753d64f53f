-- depends_on: {{ ref('stg_dost__experience') }}
-- Per user, program and month into the program: seconds listened against seconds sent (completed and
-- missed calls, as the source's listen_rate view), and the listen rate. Historical name: aggmonth.
-- Incremental: the groups a call of the window touched are recomputed whole from fct_dost_calls.
{{ config(
    materialized='incremental', unique_key=['user_id', 'program_id', 'month_in_program'], incremental_strategy='delete+insert',
    post_hook=[
        "create index if not exists {{ this.name }}_key on {{ this }} (user_id, program_id, month_in_program)",
        "create index if not exists {{ this.name }}_updated on {{ this }} (last_updated_at)",
    ]) }}

with calls as (
    select m.* from {{ ref('fct_dost_calls') }} m
    {% if is_incremental() %}
    join (
        select user_id, program_id, month_in_program from {{ ref('fct_dost_calls') }}
        where {{ in_dost_window('updated_at') }}
        union
        select user_id, program_id, month_in_program from {{ ref('fct_dost_calls') }}
        where user_id in (select user_id from {{ ref('stg_dost__experience') }} where {{ in_dost_window('created_on') }})
    ) touched using (user_id, program_id, month_in_program)
    {% endif %}
)
select
    user_id,
    program_id,
    month_in_program,
    min(channel_id) as channel_id,
    min(program_start_date) as program_start_date,
    count(*) as calls,
    count(*) filter (where is_delivered) as delivered_calls,
    count(*) filter (where status = 'completed') as completed_calls,
    sum(case when is_delivered then listen_secs else 0 end) as listen_secs,
    sum(sent_secs) as sent_secs,
    case when sum(sent_secs) > 0
         then round(sum(case when is_delivered then listen_secs else 0 end)::numeric / sum(sent_secs), 6) end as listen_rate,
    min(call_start_at) filter (where status = 'completed') as first_completed_at,
    max(updated_at) as last_updated_at
from calls
group by user_id, program_id, month_in_program
