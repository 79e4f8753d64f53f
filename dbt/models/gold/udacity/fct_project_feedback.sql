{{ config(tags=['udacity_facts'], materialized='incremental', incremental_strategy='append', pre_hook="{{ udacity_replace_partition() }}") }}
-- Grain: one project feedback. No free text (it may name people): the rating and whether it is negative.
select
    f.feedback_id,
    f.nanodegree,
    f.month,
    f.user_id,
    f.project_id, p.section_id,
    f.submitted_at,
    d.date_key as submitted_date_key,
    f.rating,
    f.is_negative
from {{ ref('stg_udacity__project_feedback') }} f
left join {{ ref('dim_project') }} p on p.project_id = f.project_id
left join {{ ref('dim_date') }} d on d.date_day = f.submitted_at::date
where {{ udacity_partition_filter('f.month', 'f.nanodegree') }}
