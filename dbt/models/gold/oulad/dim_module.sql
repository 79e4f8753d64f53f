select
    code_module,
    count(*) as presentations,
    min(presentation_start_date) as first_presentation_start
from {{ ref('oulad_courses') }}
group by code_module
