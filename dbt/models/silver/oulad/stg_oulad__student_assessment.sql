select
    {{ raw_int('id_assessment') }} as id_assessment,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_integer('date_submitted') }} as submitted_day_offset,
    {{ raw_int('is_banked') }} = 1 as is_banked,
    {{ raw_numeric('score') }} as score
from {{ source('oulad', 'student_assessment') }}
