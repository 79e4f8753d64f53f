-- One row per parent: signup, cohort, channel, first program, first completed call. No phone, not even hashed:
-- only how many numbers the parent has been reached on.
with enrollments as (
    select user_id, program_id, min(created_on) as enrolled_at, count(distinct phone_hash) as phones
    from {{ ref('stg_dost__experience') }}
    group by user_id, program_id
), first_enrollment as (
    select distinct on (user_id) user_id, program_id as first_program_id, enrolled_at
    from enrollments
    order by user_id, enrolled_at, program_id
), signup_channel as (
    select distinct on (user_id) user_id, provider_number as channel_id
    from {{ ref('stg_dost__experience') }}
    order by user_id, created_on, experience_id
), per_user as (
    select e.user_id, count(*) as programs
    from enrollments e group by e.user_id
), phones as (
    select user_id, count(distinct phone_hash) as phone_numbers
    from {{ ref('stg_dost__experience') }} group by user_id
), first_call as (
    select a.user_id, min(a.first_completed_at) as first_completed_call_at
    from {{ ref('fct_dost_monthly_listening') }} a
    join first_enrollment f on f.user_id = a.user_id and f.first_program_id = a.program_id
    group by a.user_id
)
select
    u.user_id,
    u.signup_at,
    u.signup_date,
    to_char(u.signup_date, 'YYYYMMDD')::int as signup_date_key,
    date_trunc('month', u.signup_date)::date as signup_month,
    extract(year from u.signup_date)::int as cohort_year,
    u.language,
    u.status,
    u.unsubscribed_at,
    c.channel_id,
    f.first_program_id,
    (f.enrolled_at at time zone 'UTC')::date as first_program_start,
    coalesce(p.programs, 0) as programs,
    coalesce(ph.phone_numbers, 0) as phone_numbers,
    fc.first_completed_call_at,
    fc.first_completed_call_at is not null as is_activated
from {{ ref('stg_dost__users') }} u
left join first_enrollment f on f.user_id = u.user_id
left join signup_channel c on c.user_id = u.user_id
left join per_user p on p.user_id = u.user_id
left join phones ph on ph.user_id = u.user_id
left join first_call fc on fc.user_id = u.user_id
