-- Reference data: one audio episode per program sequence, with its length.
{{ config(materialized='table') }}

select distinct on (id)
    id::int as content_id,
    program_id::int as program_id,
    programseq_id::int as programseq_id,
    duration::int as duration_sec,
    trim(title) as title,
    lower(trim(language)) as language
from {{ source('dost', 'content') }}
order by id
