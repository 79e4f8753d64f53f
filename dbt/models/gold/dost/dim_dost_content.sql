-- Each audio episode with its place in the program.
select
    ct.content_id,
    ct.program_id,
    ct.programseq_id,
    ps.sequence_index,
    ps.week,
    ps.day,
    ct.duration_sec,
    ct.title,
    ct.language
from {{ ref('stg_dost__content') }} ct
left join {{ ref('stg_dost__programseq') }} ps on ps.programseq_id = ct.programseq_id
