-- Every version of every parent bronze has seen (bronze merges users on id and updated_at), typed: the source of
-- the type-2 history in gold. Rebuilt whole each run (one row per user version; no phone here).
select distinct on (id, updated_at)
    id as user_id,
    created_on as signup_at,
    (created_on at time zone 'UTC')::date as signup_date,
    lower(trim(language)) as language,
    lower(trim(status)) as status,
    unsubscribed_on as unsubscribed_at,
    updated_at
from {{ source('dost', 'users') }}
order by id, updated_at
