{{ config(tags=['udacity_dims']) }}
-- One row per user, the latest version (updated_at). Names and e-mails stay in silver: gold never gets them.
with typed as (
    select
        trim(user_id) as user_id,
        {{ raw_text('first_name') }} as first_name,
        {{ raw_text('last_name') }} as last_name,
        lower({{ raw_text('email') }}) as email,
        upper({{ raw_text('country') }}) as country,
        ({{ raw_text('signup_date') }})::date as signup_date,
        ({{ raw_text('updated_at') }})::timestamptz at time zone 'UTC' as updated_at
    from {{ source('udacity', 'users') }}
)
select distinct on (user_id) *
from typed
where user_id <> ''
order by user_id, updated_at desc nulls last
