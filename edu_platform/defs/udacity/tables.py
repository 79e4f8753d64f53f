"""The course files: each landed file's single declaration (columns as landed, key, checks, description).

Fact files land per `<nanodegree>/<YYYY>/<MM>/` folder, and each row gains that folder's `nanodegree` and `month`
in bronze (a run replaces its partitions on them); dimension files land in `dimensional_tables/`, and bronze
merges them on their key and `updated_at`, keeping every version (silver's latest `updated_at` wins across loads).
"""

from edu_platform.defs.udacity.settings import CADENCE, SOURCE
from edu_platform.lib.tables import BronzeTable, by_origin

PARTITION_COLUMNS = ("nanodegree", "month")

FACTS: tuple[BronzeTable, ...] = (
    BronzeTable(
        SOURCE, "project_feedback", origin="project_feedback", cadence=CADENCE,
        columns=("feedback_id", "user_id", "project_id", "submitted_at", "rating", "feedback_text"),
        added=PARTITION_COLUMNS,
        key=("feedback_id",), required=("user_id", "project_id", "submitted_at", "rating") + PARTITION_COLUMNS,
        numeric=("rating",),
        description="Landed `<nanodegree>/<year>/<month>/project_feedback.csv`: one row per learner's rating (1-5)"
        " and comment on a project, tagged with the folder's nanodegree and month.",
    ),
    BronzeTable(
        SOURCE, "section_feedback", origin="section_feedback", cadence=CADENCE,
        columns=("feedback_id", "user_id", "section_id", "submitted_at", "rating", "feedback_text"),
        added=PARTITION_COLUMNS,
        key=("feedback_id",), required=("user_id", "section_id", "submitted_at", "rating") + PARTITION_COLUMNS,
        numeric=("rating",),
        description="Landed `section_feedback.csv` per nanodegree and month: one row per learner's rating (1-5) and"
        " comment on a course section.",
    ),
    BronzeTable(
        SOURCE, "mentor_activity", origin="mentor_activity", cadence=CADENCE,
        columns=("question_id", "user_id", "mentor_id", "category", "question_text", "asked_at", "answer_text", "answered_at"),
        added=PARTITION_COLUMNS,
        key=("question_id",), required=("user_id", "category", "question_text", "asked_at") + PARTITION_COLUMNS,
        description="Landed `mentor_activity.csv` per nanodegree and month: one row per question a learner asked a"
        " mentor, its category, and the answer and its time when answered.",
    ),
    # the export repeats some events verbatim: no key in bronze, silver keeps one row per event_id
    BronzeTable(
        SOURCE, "video_log", origin="video_log", cadence=CADENCE,
        columns=("event_id", "user_id", "video_id", "event_ts", "event_type", "seconds_watched"),
        added=PARTITION_COLUMNS,
        required=("event_id", "user_id", "video_id", "event_ts", "event_type") + PARTITION_COLUMNS,
        numeric=("seconds_watched",),
        description="Landed `video_log.csv` per nanodegree and month: one row per player event (play, pause,"
        " complete...) with seconds watched. The export repeats some events verbatim: no key in bronze, silver keeps"
        " one per event_id.",
    ),
)

DIMENSIONS: tuple[BronzeTable, ...] = (
    BronzeTable(
        SOURCE, "users", origin="users_dim", cadence=CADENCE,
        columns=("user_id", "first_name", "last_name", "email", "country", "signup_date", "updated_at"),
        key=("user_id", "updated_at"), source_key=("user_id",), required=("signup_date",),
        description="Landed `dimensional_tables/users_dim.csv`: one row per learner (name and e-mail stay in bronze and"
        " silver; gold keeps country and signup date), merged on user_id, the latest updated_at wins.",
    ),
    BronzeTable(
        SOURCE, "projects", origin="projects_dim", cadence=CADENCE,
        columns=("project_id", "nanodegree", "section_id", "section_title", "project_title", "difficulty", "updated_at"),
        key=("project_id", "updated_at"), source_key=("project_id",), required=("nanodegree", "section_id"),
        numeric=("difficulty",),
        description="Landed `dimensional_tables/projects_dim.csv`: one row per project of a nanodegree section, with"
        " its difficulty; merged on project_id.",
    ),
    BronzeTable(
        SOURCE, "videos", origin="videos_dim", cadence=CADENCE,
        columns=(
            "video_id", "nanodegree", "section_id", "section_title", "video_title", "position", "duration_seconds",
            "updated_at",
        ),
        key=("video_id", "updated_at"), source_key=("video_id",), required=("nanodegree", "section_id"),
        numeric=("position", "duration_seconds"),
        description="Landed `dimensional_tables/videos_dim.csv`: one row per video of a nanodegree section, with its"
        " position and duration; merged on video_id.",
    ),
)

TABLES = FACTS + DIMENSIONS
# by file stem, for the code that lists landed folders: `video_log` is `video_log.csv`
FACT_FILES = by_origin(FACTS)
DIM_FILES = by_origin(DIMENSIONS)
