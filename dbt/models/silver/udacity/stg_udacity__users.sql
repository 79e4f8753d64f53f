{{ config(tags=['udacity_dims']) }}
-- One row per user, the latest version by updated_at over every load (never the latest load: a file carrying an
-- older version does not replace a newer one). Names and e-mails stay in silver: gold never gets them.
select distinct on (user_id) *
from {{ ref('int_udacity__user_versions') }}
order by user_id, updated_at desc nulls last
