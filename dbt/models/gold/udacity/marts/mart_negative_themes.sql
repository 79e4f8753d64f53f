{{ config(tags=['udacity_facts']) }}
-- The most common themes of negative feedback, per nanodegree and month, by PostgreSQL full-text search:
-- each text (project and section feedback) becomes its set of English lexemes (`to_tsvector('english')`:
-- stemmed, stop words dropped); a term's count is the number of negative feedback texts containing it.
-- Only terms over-represented in negative feedback are themes (lift > 1: their share among negative texts
-- exceeds their share among all texts), which drops words every text uses. The top 10 per nanodegree and
-- month are kept. Words that carry tone rather than a topic ("unfortunately", "disappointed", "also", ...)
-- are not themes: a short list of them, stemmed the same way, is dropped. Personal data cannot become a
-- term: sentences with an e-mail address ("contact me at ...") are removed before parsing, and lexemes of
-- learners' names or with digits are dropped.
with docs as (
    select nanodegree, month, feedback_id, is_negative, feedback_text from {{ ref('stg_udacity__project_feedback') }}
    union all
    select nanodegree, month, feedback_id, is_negative, feedback_text from {{ ref('stg_udacity__section_feedback') }}
),
name_lexemes as (
    select distinct lexeme
    from {{ ref('stg_udacity__users') }} u,
         unnest(tsvector_to_array(to_tsvector('english', coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')))) as lexeme
),
tone_lexemes as (
    select unnest(tsvector_to_array(to_tsvector('english',
        'also again but overall good great nice well done thanks thank liked like love really very honestly '
        'unfortunately disappointed disappointing frustrating frustrated annoying bad terrible awful'
    ))) as lexeme
),
terms as (
    select d.nanodegree, d.month, d.feedback_id, d.is_negative, t.lexeme
    from docs d,
         unnest(tsvector_to_array(to_tsvector('english',
             regexp_replace(coalesce(d.feedback_text, ''), '[^.!?]*\S+@\S+[^.!?]*[.!?]?', ' ', 'g')))) as t(lexeme)
    where t.lexeme ~ '^[a-z]{3,}$'
      and t.lexeme not in (select lexeme from name_lexemes)
      and t.lexeme not in (select lexeme from tone_lexemes)
),
totals as (
    select nanodegree, month, count(*) as feedback, count(*) filter (where is_negative) as negative_feedback
    from docs
    group by 1, 2
),
counts as (
    select nanodegree, month, lexeme, count(*) as feedback_with_term, count(*) filter (where is_negative) as negative_with_term
    from terms
    group by 1, 2, 3
),
scored as (
    select
        c.nanodegree,
        c.month,
        c.lexeme as term,
        c.negative_with_term,
        t.negative_feedback,
        round(c.negative_with_term::numeric / t.negative_feedback, 4) as share_of_negative,
        c.feedback_with_term,
        round((c.negative_with_term::numeric / t.negative_feedback) / (c.feedback_with_term::numeric / t.feedback), 3) as lift
    from counts c
    join totals t using (nanodegree, month)
    where c.negative_with_term > 0
),
ranked as (
    select *, row_number() over (partition by nanodegree, month order by negative_with_term desc, lift desc, term collate "C") as theme_rank
    from scored
    where lift > 1
)
select * from ranked where theme_rank <= 10
