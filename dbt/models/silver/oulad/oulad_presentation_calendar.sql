-- Every day offset of every presentation (from 60 days before the start to its end) mapped to a date.
select
    c.presentation_key,
    d.day_offset,
    (c.presentation_start_date + d.day_offset)::date as date_day,
    floor(d.day_offset / 7.0)::int as week_offset
from {{ ref('oulad_courses') }} c
cross join lateral generate_series(-60, c.module_presentation_length + 30) as d(day_offset)
