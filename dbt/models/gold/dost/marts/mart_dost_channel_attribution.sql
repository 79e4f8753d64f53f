-- Which channel converts best: per partner channel and signup month, signups, users activated (a first
-- completed call in their first program), users still listening (seconds heard) at months 1, 3 and 6 of it,
-- and the median time from signup to the first completed call.
with users as (
    select * from {{ ref('dim_dost_user') }}
), listening as (
    select a.user_id,
        bool_or(a.month_in_program = 1 and a.listen_secs > 0) as m1,
        bool_or(a.month_in_program = 3 and a.listen_secs > 0) as m3,
        bool_or(a.month_in_program = 6 and a.listen_secs > 0) as m6
    from {{ ref('fct_dost_monthly_listening') }} a
    join users u on u.user_id = a.user_id and u.first_program_id = a.program_id
    where a.month_in_program in (1, 3, 6)
    group by a.user_id
), per_channel as (
    select
        u.channel_id,
        u.signup_month,
        count(*) as signups,
        count(*) filter (where u.is_activated) as activated_users,
        count(*) filter (where l.m1) as listening_month_1,
        count(*) filter (where l.m3) as listening_month_3,
        count(*) filter (where l.m6) as listening_month_6,
        percentile_cont(0.5) within group (
            order by extract(epoch from u.first_completed_call_at - u.signup_at) / 3600.0
        ) filter (where u.is_activated) as median_hours_to_first_completed_call
    from users u
    left join listening l on l.user_id = u.user_id
    group by u.channel_id, u.signup_month
)
select
    channel_id,
    signup_month,
    to_char(signup_month, 'YYYYMMDD')::int as signup_month_key,
    signups,
    activated_users,
    listening_month_1,
    listening_month_3,
    listening_month_6,
    round(median_hours_to_first_completed_call::numeric, 2) as median_hours_to_first_completed_call,
    round(activated_users::numeric / signups, 6) as activation_rate,
    round(listening_month_3::numeric / signups, 6) as month_3_retention,
    rank() over (partition by signup_month order by activated_users::numeric / signups desc, channel_id) as activation_rank
from per_channel
