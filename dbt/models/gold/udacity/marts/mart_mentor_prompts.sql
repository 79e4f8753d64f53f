{{ config(tags=['udacity_facts']) }}
-- The most common mentor question prompts (the question's first three words after a greeting) by category.
select
    category,
    question_prompt,
    count(*) as questions,
    count(distinct user_id) as learners,
    round((count(*))::numeric / sum(count(*)) over (partition by category), 4) as share_of_category,
    round(avg(response_minutes), 1) as avg_response_minutes,
    row_number() over (partition by category order by count(*) desc, question_prompt collate "C") as prompt_rank
from {{ ref('fct_mentor_activity') }}
where question_prompt is not null
group by 1, 2
