{{ config(tags=['udacity_dims']) }}
-- Learners without personal data: the provider's opaque user_id, country and signup date (no name, no e-mail).
select
    u.user_id,
    u.country,
    u.signup_date,
    d.date_key as signup_date_key
from {{ ref('stg_udacity__users') }} u
left join {{ ref('dim_date') }} d on d.date_day = u.signup_date
