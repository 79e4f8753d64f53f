{{ config(tags=['udacity_dims']) }}
-- Every version of every user seen across loads (bronze merges on user_id and updated_at): the source of the type-2
-- history. Names and e-mails stay in silver.
select distinct on (user_id, updated_at) *
from (
    select
        trim(user_id) as user_id,
        {{ raw_text('first_name') }} as first_name,
        {{ raw_text('last_name') }} as last_name,
        lower({{ raw_text('email') }}) as email,
        upper({{ raw_text('country') }}) as country,
        ({{ raw_text('signup_date') }})::date as signup_date,
        ({{ raw_text('updated_at') }})::timestamptz at time zone 'UTC' as updated_at
    from {{ source('udacity', 'users') }}
) typed
where user_id <> ''
order by user_id, updated_at
