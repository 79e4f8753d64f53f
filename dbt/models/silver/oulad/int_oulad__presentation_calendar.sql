-- Every day offset of every presentation (from 60 days before the start to its end) mapped to a date,
-- with the date_key and week, so a fact joins here once instead of formatting dates row by row.
select
    c.presentation_key,
    d.day_offset,
    (c.presentation_start_date + d.day_offset)::date as date_day,
    to_char(c.presentation_start_date + d.day_offset, 'YYYYMMDD')::int as date_key,
    floor(d.day_offset / 7.0)::int as week_offset
from {{ ref('stg_oulad__courses') }} c
cross join lateral generate_series(-60, c.module_presentation_length + 30) as d(day_offset)
