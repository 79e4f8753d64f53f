select
    code_module,
    count(*) as presentations,
    min(presentation_start_date) as first_presentation_start
from {{ ref('stg_oulad__courses') }}
group by code_module
