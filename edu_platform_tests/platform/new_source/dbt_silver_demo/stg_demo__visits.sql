select visit_id::int as visit_id, learner_id::int as learner_id, page
from {{ source('demo', 'visits') }}
