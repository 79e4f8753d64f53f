select id_site, presentation_key, code_module, activity_type, week_from, week_to
from {{ ref('stg_oulad__vle') }}
