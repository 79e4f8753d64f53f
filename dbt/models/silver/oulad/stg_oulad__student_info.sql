select
    trim(code_module) || '_' || trim(code_presentation) as presentation_key,
    trim(code_module) as code_module,
    trim(code_presentation) as code_presentation,
    {{ raw_int('id_student') }} as id_student,
    {{ raw_text('gender') }} as gender,
    {{ raw_text('region') }} as region,
    {{ raw_text('highest_education') }} as highest_education,
    {{ raw_text('imd_band') }} as imd_band,
    {{ raw_text('age_band') }} as age_band,
    {{ raw_integer('num_of_prev_attempts') }} as num_of_prev_attempts,
    {{ raw_integer('studied_credits') }} as studied_credits,
    {{ raw_text('disability') }} = 'Y' as has_disability,
    {{ raw_text('final_result') }} as final_result
from {{ source('oulad', 'student_info') }}
