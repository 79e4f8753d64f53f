-- Grain: a student on a VLE site on a day; the published repeats of that key are summed.
-- 10.4 M rows fall into 8.7 M groups, so a hash table buys nothing (1.5 GB, slower than sorting): sort
-- instead, integer keys first. The scan, casts and sort are split over parallel workers whose sorted runs the
-- leader merges: the marts and most tests wait for this model, so it uses both cores while they cannot.
-- The planner cannot know the groups are nearly as many as the rows, so it would merge-join the calendar after
-- sorting 8.7 M rows again: hash-join the 7,570-row calendar instead. The calendar is found by the group's
-- (module, presentation) codes, so its presentation_key is copied, not built by string concatenation for each
-- of the 8.7 M groups (that took as long as the grouping itself); only a group whose codes match no course is
-- looked up by its concatenated key, exactly as before. Analyzed once built, so the marts and tests that read it
-- plan with real statistics.
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
course_calendar as (
    select c.code_module, c.code_presentation, cal.presentation_key, cal.day_offset, cal.week_offset, cal.date_key
    from {{ ref('oulad_presentation_calendar') }} cal
    join {{ ref('oulad_courses') }} c using (presentation_key)
),
matched as (
    select d.*, cal.presentation_key as calendar_key, cal.week_offset, cal.date_key
    from daily d
    left join course_calendar cal
      on cal.code_module = trim(d.code_module)
     and cal.code_presentation = trim(d.code_presentation)
     and cal.day_offset = d.day_offset
)
select
    coalesce(m.calendar_key, trim(m.code_module) || '_' || trim(m.code_presentation)) as presentation_key,
    m.id_student,
    m.id_site,
    m.day_offset,
    case when m.calendar_key is null then by_key.week_offset else m.week_offset end as week_offset,
    case when m.calendar_key is null then by_key.date_key else m.date_key end as date_key,
    m.sum_click,
    m.source_rows
from matched m
-- a group with no course of its codes: the calendar by concatenated key (the key is NULL, so nothing is
-- built or probed, for every other group)
left join {{ ref('oulad_presentation_calendar') }} by_key
  on by_key.presentation_key = case when m.calendar_key is null then trim(m.code_module) || '_' || trim(m.code_presentation) end
 and by_key.day_offset = m.day_offset
