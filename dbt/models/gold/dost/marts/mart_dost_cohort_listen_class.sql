-- The plan's year2020HML (historical name), for every signup year: per cohort and month into the (first)
-- program, the share of users classified High, Medium and Low. "Users registered in 2020 who listened to more
-- than 50 % of the content seconds three months into the program" is high_share where cohort_year = 2020 and
-- month_in_program = 3. Shares are over the users with content delivered that month (users_classified);
-- cohort_users counts every signup of the year, for shares over the whole cohort.
with cohort as (
    select user_id, cohort_year, first_program_id from {{ ref('dim_dost_user') }}
), months as (
    select generate_series(1, 6) as month_in_program
), classified as (
    select c.cohort_year, h.month_in_program, h.hml_class
    from {{ ref('mart_dost_monthly_listen_class') }} h
    join cohort c on c.user_id = h.user_id and c.first_program_id = h.program_id
    where h.month_in_program between 1 and 6 and h.hml_class is not null
), counts as (
    select cohort_year, month_in_program,
        count(*) as users_classified,
        count(*) filter (where hml_class = 'High') as high_users,
        count(*) filter (where hml_class = 'Medium') as medium_users,
        count(*) filter (where hml_class = 'Low') as low_users
    from classified
    group by cohort_year, month_in_program
), cohort_sizes as (
    select cohort_year, count(*) as cohort_users from cohort group by cohort_year
)
select
    s.cohort_year,
    m.month_in_program,
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
left join counts n on n.cohort_year = s.cohort_year and n.month_in_program = m.month_in_program
