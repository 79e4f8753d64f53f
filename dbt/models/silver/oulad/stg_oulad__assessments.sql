select
    {{ raw_int('id_assessment') }} as id_assessment,
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    trim(code_module) as code_module,
    trim(code_presentation) as code_presentation,
    {{ raw_text('assessment_type') }} as assessment_type,
    {{ raw_integer('date') }} as due_day_offset,
    {{ raw_numeric('weight') }} as weight
from {{ source('oulad', 'assessments') }}
