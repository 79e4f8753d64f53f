select
    presentation_key,
    code_module,
    code_presentation,
    left(code_presentation, 4)::int as presentation_year,
    case right(code_presentation, 1) when 'B' then 'February' when 'J' then 'October' end as start_month,
    presentation_start_date as start_date,
    (presentation_start_date + module_presentation_length)::date as end_date,
    module_presentation_length as length_days
from {{ ref('stg_oulad__courses') }}
