-- The 28 programs: language, length in sequences and weeks, seconds of content.
select
    ps.program_id,
    min(ct.language) as language,
    max(ps.sequence_index) as n_sequences,
    max(ps.week) as n_weeks,
    sum(ct.duration_sec) as total_content_secs
from {{ ref('stg_dost__programseq') }} ps
left join {{ ref('stg_dost__content') }} ct on ct.programseq_id = ps.programseq_id
group by ps.program_id
