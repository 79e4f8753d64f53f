{{ config(tags=['udacity_facts']) }}
-- Share of negative feedback (rating 1-2) per nanodegree, section and month, project and section
-- feedback together (a project belongs to its section), with each kind's counts.
with feedback as (
    select nanodegree, month, section_id, 'project' as kind, is_negative from {{ ref('fct_project_feedback') }}
    union all
    select nanodegree, month, section_id, 'section' as kind, is_negative from {{ ref('fct_section_feedback') }}
),
sections as (
    select distinct section_id, section_title from {{ ref('dim_project') }}
)
select
    f.nanodegree,
    f.section_id,
    s.section_title,
    f.month,
    count(*) as feedback,
    count(*) filter (where f.is_negative) as negative_feedback,
    round((count(*) filter (where f.is_negative))::numeric / count(*), 4) as negative_share,
    count(*) filter (where f.kind = 'project') as project_feedback,
    count(*) filter (where f.kind = 'project' and f.is_negative) as negative_project_feedback,
    count(*) filter (where f.kind = 'section') as section_feedback,
    count(*) filter (where f.kind = 'section' and f.is_negative) as negative_section_feedback
from feedback f
left join sections s on s.section_id = f.section_id
group by 1, 2, 3, 4
