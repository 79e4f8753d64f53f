-- One row per call attempt, latest version. Cleaning: status lower-cased and trimmed; listen_secs is 0 when
-- nothing was heard (the source leaves it NULL for calls that never connected; listen_secs_raw keeps the source
-- value) and capped at the content's length (the telephony adds a few seconds of ringing to some records).
{{ config(materialized='incremental', unique_key='campaign_id', incremental_strategy='delete+insert',
          post_hook=[
              "create index if not exists {{ this.name }}_id on {{ this }} (campaign_id)",
              "create index if not exists {{ this.name }}_updated_at on {{ this }} (updated_at)",
              "create index if not exists {{ this.name }}_user on {{ this }} (user_id)",
          ]) }}

with ranked as (
    select *, row_number() over (partition by id order by updated_at desc) as version
    from {{ source('dost', 'campaign') }}
    {% if is_incremental() %}
    where {{ in_dost_window('updated_at') }}
    {% endif %}
)
select
    c.id as campaign_id,
    c.experience_id,
    c.user_id,
    c.program_id::int as program_id,
    c.programseq_id::int as programseq_id,
    c.content_id::int as content_id,
    lower(trim(c.status)) as status,
    c.attempted_timestamp as attempted_at,
    (c.attempted_timestamp at time zone 'UTC')::date as call_date,
    c.call_start_time as call_start_at,
    c.call_end_time as call_end_at,
    c.listen_secs as listen_secs_raw,
    least(greatest(coalesce(c.listen_secs, 0), 0), coalesce(ct.duration_sec, c.listen_secs))::int as listen_secs,
    c.updated_at
from ranked c
left join {{ ref('stg_dost__content') }} ct on ct.content_id = c.content_id
where c.version = 1
