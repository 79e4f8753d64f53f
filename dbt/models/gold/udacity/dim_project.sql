{{ config(tags=['udacity_dims']) }}
select project_id, nanodegree, section_id, section_title, project_title, difficulty
from {{ ref('stg_udacity__projects') }}
