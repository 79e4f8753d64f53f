"""The questions the sources exist to answer, as Metabase dashboards of native SQL questions on gold.

Every query reads `gold.*` only: Metabase connects as `bi_reader`, which can read gold and nothing else, so a query
on silver or bronze would fail there (the tests run each query as bi_reader against a real warehouse).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    name: str
    description: str
    sql: str
    display: str = "table"  # Metabase visualisation: table, bar, line, row, pie, scalar
    settings: dict = field(default_factory=dict)  # Metabase visualization_settings


@dataclass(frozen=True)
class Dashboard:
    name: str
    description: str
    questions: tuple[Question, ...]


OULAD = Dashboard(
    "OULAD: outcomes and dropout",
    "Open University presentations: how students finish, and when those who withdraw leave.",
    (
        Question(
            "Outcomes by presentation",
            "Share of students passing, with distinction, failing and withdrawn, per module presentation.",
            """select presentation_key, students, pass_rate, distinction_rate, fail_rate, withdrawal_rate
from gold.mart_cohort_outcomes
order by presentation_key""",
            display="bar",
            settings={"graph.dimensions": ["presentation_key"],
                      "graph.metrics": ["pass_rate", "distinction_rate", "fail_rate", "withdrawal_rate"],
                      "stackable.stack_type": "stacked"},
        ),
        Question(
            "Withdrawals by week of the presentation",
            "Students withdrawing in each week from the presentation start, over every presentation.",
            """select withdrawal_week, sum(withdrawals) as withdrawals
from gold.mart_dropout_risk
group by withdrawal_week
order by withdrawal_week""",
            display="line",
            settings={"graph.dimensions": ["withdrawal_week"], "graph.metrics": ["withdrawals"]},
        ),
        Question(
            "Dropout by week: engagement before withdrawing",
            "Per presentation and week: withdrawals, and the clicks, scores and submissions of those students before they left.",
            """select presentation_key, withdrawal_week, withdrawals, avg_clicks_before_withdrawal,
       avg_score_before_withdrawal, avg_submissions_before_withdrawal
from gold.mart_dropout_risk
order by presentation_key, withdrawal_week""",
        ),
    ),
)

DOST = Dashboard(
    "Dost: listening and channels",
    "Dost's call campaigns: who keeps listening, by signup cohort and month in the programme, and which channel brings them.",
    (
        Question(
            "Listen rate High / Medium / Low by signup cohort and month",
            "Per signup-year cohort and month into the programme (1-6): share of users listening to more than half"
            " of their calls (High), a quarter to a half (Medium), less (Low).",
            """select cohort_year, month_in_program as month_in_programme, cohort_users, users_classified,
       high_share, medium_share, low_share
from gold.mart_dost_cohort_listen_class
order by cohort_year, month_in_program""",
            display="bar",
            settings={"graph.dimensions": ["month_in_programme", "cohort_year"],
                      "graph.metrics": ["high_share", "medium_share", "low_share"], "stackable.stack_type": "stacked"},
        ),
        Question(
            "Channel attribution",
            "Per partner channel: signups, users activated, still listening at months 1, 3 and 6, and activation rate.",
            """select channel_id, sum(signups) as signups, sum(activated_users) as activated_users,
       sum(listening_month_1) as listening_month_1, sum(listening_month_3) as listening_month_3,
       sum(listening_month_6) as listening_month_6,
       round(sum(activated_users)::numeric / nullif(sum(signups), 0), 3) as activation_rate
from gold.mart_dost_channel_attribution
group by channel_id
order by signups desc""",
            display="row",
            settings={"graph.dimensions": ["channel_id"], "graph.metrics": ["signups", "activated_users"]},
        ),
    ),
)

COURSES = Dashboard(
    "Courses: feedback, replays, churn and sessions",
    "The online courses: what negative feedback is about, which videos are replayed, who leaves after negative"
    " feedback, and daily learning sessions.",
    (
        Question(
            "Negative feedback themes",
            "Terms over-represented in negative feedback (lift against all feedback), the top 10 per nanodegree and month.",
            """select nanodegree, month, term, negative_with_term, share_of_negative, lift
from gold.mart_negative_themes
where theme_rank <= 10
order by nanodegree, month desc, theme_rank""",
        ),
        Question(
            "Most replayed videos",
            "Videos with the most replays (views beyond a viewer's first), the top 10 per nanodegree and month.",
            """select nanodegree, month, video_title, section_id, viewers, views, replays, views_per_viewer
from gold.mart_video_replays
where replay_rank <= 10
order by nanodegree, month desc, replay_rank""",
        ),
        Question(
            "Churn after negative feedback",
            "Share of learners who stopped learning, for those who left negative feedback and for the others.",
            """select nanodegree, learner_group, learners, churned, churn_share
from gold.mart_churn_after_negative_feedback
order by nanodegree, learner_group""",
            display="bar",
            settings={"graph.dimensions": ["nanodegree", "learner_group"], "graph.metrics": ["churn_share"]},
        ),
        Question(
            "Daily learning sessions",
            "Learning sessions per day (all nanodegrees): sessions, learners and the share of sessions completed.",
            """select session_date, sum(sessions) as sessions, sum(learners) as learners,
       round(sum(completed_sessions)::numeric / nullif(sum(sessions), 0), 3) as completion_rate
from gold.mart_daily_learning_sessions
group by session_date
order by session_date""",
            display="line",
            settings={"graph.dimensions": ["session_date"], "graph.metrics": ["sessions", "learners"]},
        ),
    ),
)

DASHBOARDS: tuple[Dashboard, ...] = (OULAD, DOST, COURSES)
