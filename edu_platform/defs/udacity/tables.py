"""The course files: each landed file's single declaration (columns as landed, key, checks, description).

Fact files land per `<nanodegree>/<YYYY>/<MM>/` folder, and each row gains that folder's `nanodegree` and `month`
in bronze (a run replaces its partitions on them); dimension files land in `dimensional_tables/`, and bronze
merges them on their key and `updated_at`, keeping every version (silver's latest `updated_at` wins across loads).
Each number column's type is the one its silver model casts it to, so bronze's check rejects what that cast would.
"""

from edu_platform.defs.udacity.settings import CADENCE, SOURCE
from edu_platform.lib.tables import BronzeTable, by_origin

PARTITION_COLUMNS = ("nanodegree", "month")

def _fact(name: str, columns: tuple[str, ...], description: str, required: tuple[str, ...] = (), **checks) -> BronzeTable:
    """A fact file `<name>.csv`, landed in every month folder: each row gains the folder's nanodegree and month."""
    return BronzeTable(SOURCE, name, cadence=CADENCE, columns=columns, description=description, added=PARTITION_COLUMNS,
                       required=required + PARTITION_COLUMNS, **checks)


def _dimension(name: str, key: str, columns: tuple[str, ...], description: str, **checks) -> BronzeTable:
    """A dimension file `dimensional_tables/<name>_dim.csv`: bronze keeps every version of a key by `updated_at`."""
    return BronzeTable(SOURCE, name, cadence=CADENCE, columns=columns, description=description, origin=f"{name}_dim",
                       key=(key, "updated_at"), source_key=(key,), **checks)


FACTS: tuple[BronzeTable, ...] = (
    _fact(
        "project_feedback", ("feedback_id", "user_id", "project_id", "submitted_at", "rating", "feedback_text"),
        "Landed `<nanodegree>/<year>/<month>/project_feedback.csv`: one row per learner's rating (1-5) and comment on"
        " a project, tagged with the folder's nanodegree and month.",
        key=("feedback_id",), required=("user_id", "project_id", "submitted_at", "rating"), numeric={"rating": "integer"},
    ),
    _fact(
        "section_feedback", ("feedback_id", "user_id", "section_id", "submitted_at", "rating", "feedback_text"),
        "Landed `section_feedback.csv` per nanodegree and month: one row per learner's rating (1-5) and comment on a"
        " course section.",
        key=("feedback_id",), required=("user_id", "section_id", "submitted_at", "rating"), numeric={"rating": "integer"},
    ),
    _fact(
        "mentor_activity",
        ("question_id", "user_id", "mentor_id", "category", "question_text", "asked_at", "answer_text", "answered_at"),
        "Landed `mentor_activity.csv` per nanodegree and month: one row per question a learner asked a mentor, its"
        " category, and the answer and its time when answered.",
        key=("question_id",), required=("user_id", "category", "question_text", "asked_at"),
    ),
    # the export repeats some events verbatim: no key in bronze, silver keeps one row per event_id
    _fact(
        "video_log", ("event_id", "user_id", "video_id", "event_ts", "event_type", "seconds_watched"),
        "Landed `video_log.csv` per nanodegree and month: one row per player event (play, pause, complete...) with"
        " seconds watched. The export repeats some events verbatim: no key in bronze, silver keeps one per event_id.",
        required=("event_id", "user_id", "video_id", "event_ts", "event_type"), numeric={"seconds_watched": "bigint"},
    ),
)

DIMENSIONS: tuple[BronzeTable, ...] = (
    _dimension(
        "users", "user_id", ("user_id", "first_name", "last_name", "email", "country", "signup_date", "updated_at"),
        "Landed `dimensional_tables/users_dim.csv`: one row per learner (name and e-mail stay in bronze and silver;"
        " gold keeps country and signup date), merged on user_id, the latest updated_at wins.",
        required=("signup_date",),
    ),
    _dimension(
        "projects", "project_id",
        ("project_id", "nanodegree", "section_id", "section_title", "project_title", "difficulty", "updated_at"),
        "Landed `dimensional_tables/projects_dim.csv`: one row per project of a nanodegree section, with its"
        " difficulty; merged on project_id.",
        required=("nanodegree", "section_id"), numeric={"difficulty": "integer"},
    ),
    _dimension(
        "videos", "video_id",
        ("video_id", "nanodegree", "section_id", "section_title", "video_title", "position", "duration_seconds", "updated_at"),
        "Landed `dimensional_tables/videos_dim.csv`: one row per video of a nanodegree section, with its position and"
        " duration; merged on video_id.",
        required=("nanodegree", "section_id"), numeric={"position": "integer", "duration_seconds": "integer"},
    ),
)

TABLES = FACTS + DIMENSIONS
# by file stem, for the code that lists landed folders: `video_log` is `video_log.csv`
FACT_FILES = by_origin(FACTS)
DIM_FILES = by_origin(DIMENSIONS)
