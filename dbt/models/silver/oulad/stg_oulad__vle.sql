select
    {{ raw_int('id_site') }} as id_site,
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    trim(code_module) as code_module,
    trim(code_presentation) as code_presentation,
    {{ raw_text('activity_type') }} as activity_type,
    {{ raw_integer('week_from') }} as week_from,
    {{ raw_integer('week_to') }} as week_to
from {{ source('oulad', 'vle') }}
