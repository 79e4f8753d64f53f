-- depends_on: {{ ref('stg_dost__experience') }}
-- Each user-month classified by listen rate: High above var('dost_hml_high') (default 0.5), Medium from
-- var('dost_hml_medium') (default 0.25) up to and including the High threshold, Low below it. A month in which no
-- content was delivered (only failed/busy attempts) has no listen rate and no class.
-- Historical name: HMLmonth.
-- Incremental: every fct_dost_monthly_listening row recomputed since the window started (a superset of the
-- window's groups).
{{ config(materialized='incremental', unique_key=['user_id', 'program_id', 'month_in_program'], incremental_strategy='delete+insert',
          post_hook="create index if not exists {{ this.name }}_key on {{ this }} (user_id, program_id, month_in_program)") }}

with months as (
    {% if is_incremental() %}
    select * from {{ ref('fct_dost_monthly_listening') }} where last_updated_at >= {{ dost_window_start() }}
    union
    select * from {{ ref('fct_dost_monthly_listening') }}
    where user_id in (select user_id from {{ ref('stg_dost__experience') }} where {{ in_dost_window('created_on') }})
    {% else %}
    select * from {{ ref('fct_dost_monthly_listening') }}
    {% endif %}
)
select
    user_id,
    program_id,
    month_in_program,
    channel_id,
    listen_secs,
    sent_secs,
    listen_rate,
    case when listen_rate is null then null
         when listen_rate > {{ var('dost_hml_high', 0.5) }} then 'High'
         when listen_rate >= {{ var('dost_hml_medium', 0.25) }} then 'Medium'
         else 'Low' end as hml_class,
    last_updated_at
from months
