-- depends_on: {{ ref('dost_experience') }}
-- Each user-month classified by listen rate: High above var('dost_hml_high') (default 0.5), Medium from
-- var('dost_hml_medium') (default 0.25) up to and including the High threshold, Low below it. A month in which no
-- content was delivered (only failed/busy attempts) has no listen rate and no class.
-- Incremental: every agg_month row recomputed since the window started (a superset of the window's groups).
{{ config(materialized='incremental', unique_key=['user_id', 'program_id', 'ab_months_in'], incremental_strategy='delete+insert',
          post_hook="create index if not exists {{ this.name }}_key on {{ this }} (user_id, program_id, ab_months_in)") }}
{%- set lo = "((timestamp '" ~ var('min_date') ~ "' - interval '" ~ var('dost_lag_hours', 24) ~ " hours') at time zone 'UTC')" %}
{%- set hi = "(timestamp '" ~ var('max_date') ~ "' at time zone 'UTC')" %}

with months as (
    {% if is_incremental() %}
    select * from {{ ref('agg_month') }} where last_updated_at >= {{ lo }}
    union
    select * from {{ ref('agg_month') }}
    where user_id in (select user_id from {{ ref('dost_experience') }} where created_on >= {{ lo }} and created_on < {{ hi }})
    {% else %}
    select * from {{ ref('agg_month') }}
    {% endif %}
)
select
    user_id,
    program_id,
    ab_months_in,
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
