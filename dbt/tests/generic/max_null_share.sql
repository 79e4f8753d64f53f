{# Soft expectation: the share of NULLs in a column stays under `max_share`. #}
{% test max_null_share(model, column_name, max_share) %}
select count(*) filter (where {{ column_name }} is null)::numeric / nullif(count(*), 0) as null_share
from {{ model }}
having count(*) filter (where {{ column_name }} is null)::numeric / nullif(count(*), 0) > {{ max_share }}
{% endtest %}
