{{ config(tags=['udacity_dims']) }}
-- One row per project (one project per section of a nanodegree).
with typed as (
    select
        trim(project_id) as project_id,
        trim(nanodegree) as nanodegree,
        trim(section_id) as section_id,
        {{ raw_text('section_title') }} as section_title,
        {{ raw_text('project_title') }} as project_title,
        {{ raw_integer('difficulty') }} as difficulty,
        ({{ raw_text('updated_at') }})::timestamptz at time zone 'UTC' as updated_at
    from {{ source('udacity', 'projects') }}
)
select distinct on (project_id) *
from typed
where project_id <> ''
order by project_id, updated_at desc nulls last
