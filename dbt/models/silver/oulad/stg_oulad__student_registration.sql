select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_integer('date_registration') }} as registration_day_offset,
    {{ raw_integer('date_unregistration') }} as unregistration_day_offset
from {{ source('oulad', 'student_registration') }}
