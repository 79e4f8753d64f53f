{{ config(tags=['udacity_dims']) }}
-- Type-2 history of each learner without personal data: one row per version, valid from its updated_at until the
-- next version's (valid_to null and is_current for the latest).
select
    user_id,
    country,
    signup_date,
    updated_at as valid_from,
    lead(updated_at) over (partition by user_id order by updated_at) as valid_to,
    lead(updated_at) over (partition by user_id order by updated_at) is null as is_current
from {{ ref('int_udacity__user_versions') }}
