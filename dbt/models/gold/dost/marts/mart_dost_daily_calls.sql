-- Calls per calendar day between the first and the last call, days without any call included (calls = 0):
-- the soft expectation "a calling day (Monday-Friday) with no calls at all" reads this table.
-- Incremental: the window's days, the days since the last day already here, and the days whose calls were
-- corrected in the window.
{{ config(materialized='incremental', unique_key='date_key', incremental_strategy='delete+insert') }}

with bounds as (
    select min(call_date) as first_day, max(call_date) as last_day from {{ ref('fct_dost_calls') }}
), days as (
    select d.date_key, d.date_day, d.iso_day_of_week
    from {{ ref('dim_date') }} d
    cross join bounds b
    where d.date_day between b.first_day and b.last_day
    {% if is_incremental() %}
      and (
        (d.date_day >= ({{ dost_window_start() }} at time zone 'UTC')::date and d.date_day < ({{ window_end() }} at time zone 'UTC')::date)
        or d.date_day > (select max(date_day) from {{ this }})  -- quiet days between the last run and this window
        or d.date_day in (select distinct call_date from {{ ref('fct_dost_calls') }} where {{ in_dost_window('updated_at') }})
      )
    {% endif %}
)
select
    d.date_key,
    d.date_day,
    d.iso_day_of_week <= 5 as is_calling_day,
    count(m.campaign_id) as calls,
    count(m.campaign_id) filter (where m.status = 'completed') as completed_calls,
    coalesce(sum(m.listen_secs), 0) as listen_secs
from days d
left join {{ ref('fct_dost_calls') }} m on m.call_date = d.date_day
group by d.date_key, d.date_day, d.iso_day_of_week
