-- Parents who signed up; status moves to `unsubscribed` on a drop-out. Rebuilt for the users created or changed in the window.
-- Bronze keeps every version loaded (merged on id and updated_at): a user's row here is its latest updated_at over
-- all loads, so a load carrying an older version never replaces a newer one.
{{ config(materialized='incremental', unique_key='user_id', incremental_strategy='delete+insert') }}

with ranked as (
    select *, row_number() over (partition by id order by updated_at desc) as version
    from {{ source('dost', 'users') }}
    {% if is_incremental() %}
    where id in (
        select id from {{ source('dost', 'users') }}
        where ({{ in_dost_window('updated_at') }}) or ({{ in_dost_window('created_on') }})
    )
    {% endif %}
)
select
    id as user_id,
    created_on as signup_at,
    (created_on at time zone 'UTC')::date as signup_date,
    lower(trim(language)) as language,
    lower(trim(status)) as status,
    unsubscribed_on as unsubscribed_at,
    updated_at
from ranked
where version = 1
