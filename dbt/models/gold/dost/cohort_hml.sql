-- The plan's year2020HML, for every signup year: per cohort and month into the (first) program, the share of
-- users classified High, Medium and Low. "Users registered in 2020 who listened to more than 50 % of the
-- content seconds three months into the program" is high_share where cohort_year = 2020 and ab_months_in = 3.
-- Shares are over the users with content delivered that month (users_classified); cohort_users counts every
-- signup of the year, for shares over the whole cohort.
with cohort as (
    select user_id, cohort_year, first_program_id from {{ ref('dim_dost_user') }}
), months as (
    select generate_series(1, 6) as ab_months_in
), classified as (
    select c.cohort_year, h.ab_months_in, h.hml_class
    from {{ ref('hml_month') }} h
    join cohort c on c.user_id = h.user_id and c.first_program_id = h.program_id
    where h.ab_months_in between 1 and 6 and h.hml_class is not null
), counts as (
    select cohort_year, ab_months_in,
        count(*) as users_classified,
        count(*) filter (where hml_class = 'High') as high_users,
        count(*) filter (where hml_class = 'Medium') as medium_users,
        count(*) filter (where hml_class = 'Low') as low_users
    from classified
    group by cohort_year, ab_months_in
), cohort_sizes as (
    select cohort_year, count(*) as cohort_users from cohort group by cohort_year
)
select
    s.cohort_year,
    m.ab_months_in,
    s.cohort_users,
    coalesce(n.users_classified, 0) as users_classified,
    coalesce(n.high_users, 0) as high_users,
    coalesce(n.medium_users, 0) as medium_users,
    coalesce(n.low_users, 0) as low_users,
    round(n.high_users::numeric / nullif(n.users_classified, 0), 6) as high_share,
    round(n.medium_users::numeric / nullif(n.users_classified, 0), 6) as medium_share,
    round(n.low_users::numeric / nullif(n.users_classified, 0), 6) as low_share
from cohort_sizes s
cross join months m
left join counts n on n.cohort_year = s.cohort_year and n.ab_months_in = m.ab_months_in
