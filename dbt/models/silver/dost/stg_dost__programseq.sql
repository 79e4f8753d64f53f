-- Reference data (28 programs x ~112 sequences): small, rebuilt whole on every run.
{{ config(materialized='table') }}

select distinct on (id)
    id::int as programseq_id,
    program_id::int as program_id,
    sequence_index::int as sequence_index,
    week::int as week,
    day::int as day
from {{ source('dost', 'programseq') }}
order by id
