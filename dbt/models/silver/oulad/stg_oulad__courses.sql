select
    trim(code_module) as code_module,
    trim(code_presentation) as code_presentation,
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    {{ raw_integer('module_presentation_length') }} as module_presentation_length,
    {{ oulad_presentation_start('trim(code_presentation)') }} as presentation_start_date
from {{ source('oulad', 'courses') }}
