-- Grain: a student on a VLE site on a day; the published repeats of that key are summed.
-- 10.4 M rows fall into 8.7 M groups, so a hash table buys nothing (1.5 GB, slower than sorting): sort
-- instead, integer keys first. The scan, casts and sort are split over parallel workers whose sorted runs the
-- leader merges: the marts and most tests wait for this model, so it uses both cores while they cannot.
-- The planner cannot know the groups are nearly as many as the rows, so it would merge-join the calendar after
-- sorting 8.7 M rows again: hash-join the 7,570-row calendar instead. Analyzed once built, so the marts and
-- tests that read it plan with real statistics.
{{ config(
    pre_hook=[
        "set local work_mem = '1GB'",
        "set local enable_hashagg = off",
        "set local enable_mergejoin = off",
        "set local max_parallel_workers_per_gather = 2",
    ],
    post_hook=["analyze {{ this }}"],
) }}
with daily as (
    select
        id_student,
        id_site,
        day_offset,
        code_module,
        code_presentation,
        sum(sum_click) as sum_click,
        count(*) as source_rows
    from {{ ref('oulad_student_vle') }}
    group by id_student, id_site, day_offset, code_module, code_presentation
),
keyed as (
    select trim(code_module) || '_' || trim(code_presentation) as presentation_key, *
    from daily
)
select
    k.presentation_key,
    k.id_student,
    k.id_site,
    k.day_offset,
    cal.week_offset,
    cal.date_key,
    k.sum_click,
    k.source_rows
from keyed k
left join {{ ref('oulad_presentation_calendar') }} cal using (presentation_key, day_offset)
