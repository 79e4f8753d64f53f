-- Type-2 history of each parent (no phone): one row per version bronze has seen, valid from its updated_at until
-- the next version's, the latest one current. Versions are ordered by updated_at, never by load order.
select
    user_id,
    signup_date,
    language,
    status,
    unsubscribed_at,
    updated_at as valid_from,
    lead(updated_at) over (partition by user_id order by updated_at) as valid_to,
    lead(updated_at) over (partition by user_id order by updated_at) is null as is_current
from {{ ref('int_dost__user_versions') }}
