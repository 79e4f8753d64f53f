-- Grain: a student on a VLE site on a day; the published repeats of that key are summed.
-- Grouped by sorting, integer keys first (planner profile sorted_group_by, macros/planner_settings.sql: the
-- groups are nearly as many as the rows). The calendar is found by the group's (module, presentation) codes, so
-- its presentation_key is copied rather than concatenated per group; only a group whose codes match no course is
-- looked up by its concatenated key. Analyzed once built, so the marts and tests that read it plan with real
-- statistics.
{{ config(
    meta={'planner_profile': 'sorted_group_by'},
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
    from {{ ref('stg_oulad__student_vle') }}
    group by id_student, id_site, day_offset, code_module, code_presentation
),
course_calendar as (
    select c.code_module, c.code_presentation, cal.presentation_key, cal.day_offset, cal.week_offset, cal.date_key
    from {{ ref('int_oulad__presentation_calendar') }} cal
    join {{ ref('stg_oulad__courses') }} c using (presentation_key)
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
left join {{ ref('int_oulad__presentation_calendar') }} by_key
  on by_key.presentation_key = case when m.calendar_key is null then trim(m.code_module) || '_' || trim(m.code_presentation) end
 and by_key.day_offset = m.day_offset
