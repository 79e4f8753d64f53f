-- The conformed calendar every star joins on.
select
    to_char(d, 'YYYYMMDD')::int as date_key,
    d::date as date_day,
    extract(year from d)::int as year,
    extract(quarter from d)::int as quarter,
    extract(month from d)::int as month,
    to_char(d, 'Mon') as month_name,
    date_trunc('month', d)::date as month_start,
    date_trunc('week', d)::date as week_start,
    extract(isodow from d)::int as iso_day_of_week,
    extract(isodow from d) in (6, 7) as is_weekend
from generate_series('2010-01-01'::date, '2035-12-31'::date, interval '1 day') as d
