-- Signup channels: the number a parent called to sign up (provider_number) names the partner organisation.
-- Dost's own line is var('dost_direct_line'); every other number is a partner.
select
    provider_number as channel_id,
    provider_number,
    case when provider_number = '{{ var("dost_direct_line", "1800-102-0001") }}' then 'Dost direct line'
         else 'Partner ' || provider_number end as channel_name,
    provider_number <> '{{ var("dost_direct_line", "1800-102-0001") }}' as is_partner,
    min(created_on)::date as first_signup_date,
    count(distinct user_id) as users
from {{ ref('stg_dost__experience') }}
group by provider_number
