-- A row per program signup or phone change. Only the salted phone hash exists from bronze on.
{{ config(materialized='incremental', unique_key='experience_id', incremental_strategy='delete+insert') }}

with ranked as (
    select *, row_number() over (partition by id order by created_on desc) as version
    from {{ source('dost', 'experience') }}
    {% if is_incremental() %}
    where {{ in_dost_window('created_on') }}
    {% endif %}
)
select
    id as experience_id,
    user_id,
    program_id::int as program_id,
    trim(provider_number) as provider_number,
    phone_hash,
    created_on
from ranked
where version = 1
