"""The landed course files, what each table promises, and where they are read from."""

import os
import re

from edu_platform.lib.checks import TableContract
from edu_platform.lib.settings import landing_dir
from edu_platform.lib.warehouse import safe_identifier

SOURCE = "udacity"
CADENCE = "monthly"  # how often new data lands (freshness checks)
OWNER = "team:course-product"  # who answers for it (shown on every asset)
DIMENSION = "nanodegree"  # the dynamic partition dimension (and the folder level under the root)
DIMENSION_FOLDER = "dimensional_tables"

# The first partition month when nothing says otherwise (UDACITY_START_MONTH, the earliest month folder
# under UDACITY_SOURCE, the month the default landing started at): a fixed month, so every process that
# loads the definitions sees the same partitions. It is a start, never "now".
DEFAULT_START_MONTH = "2026-08"
# how many months `make run`'s default landing starts with, ending at the last complete month
DEFAULT_LANDED_MONTHS = 3
DEFAULT_SCALE = 0.01
DEFAULT_NANODEGREES = ("data_science", "data_engineering", "machine_learning")

# fact file stem -> columns as landed; each row gains `nanodegree` and `month` (its folder) in bronze
FACT_FILES: dict[str, tuple[str, ...]] = {
    "project_feedback": ("feedback_id", "user_id", "project_id", "submitted_at", "rating", "feedback_text"),
    "section_feedback": ("feedback_id", "user_id", "section_id", "submitted_at", "rating", "feedback_text"),
    "mentor_activity": (
        "question_id", "user_id", "mentor_id", "category", "question_text", "asked_at", "answer_text", "answered_at",
    ),
    "video_log": ("event_id", "user_id", "video_id", "event_ts", "event_type", "seconds_watched"),
}
PARTITION_COLUMNS = ("nanodegree", "month")

# dimension file stem -> (bronze table, key, columns as landed); bronze merges on (key, updated_at), keeping
# every version; silver's latest updated_at wins across loads
DIM_FILES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "users_dim": (
        "users", "user_id",
        ("user_id", "first_name", "last_name", "email", "country", "signup_date", "updated_at"),
    ),
    "projects_dim": (
        "projects", "project_id",
        ("project_id", "nanodegree", "section_id", "section_title", "project_title", "difficulty", "updated_at"),
    ),
    "videos_dim": (
        "videos", "video_id",
        (
            "video_id", "nanodegree", "section_id", "section_title", "video_title", "position",
            "duration_seconds", "updated_at",
        ),
    ),
}

# bronze table -> what a row is (shown as the asset's description in the Dagster UI, with its key and cadence)
DESCRIPTIONS: dict[str, str] = {
    "project_feedback": "Landed `<nanodegree>/<year>/<month>/project_feedback.csv`: one row per learner's rating (1-5)"
    " and comment on a project, tagged with the folder's nanodegree and month.",
    "section_feedback": "Landed `section_feedback.csv` per nanodegree and month: one row per learner's rating (1-5) and"
    " comment on a course section.",
    "mentor_activity": "Landed `mentor_activity.csv` per nanodegree and month: one row per question a learner asked a"
    " mentor, its category, and the answer and its time when answered.",
    "video_log": "Landed `video_log.csv` per nanodegree and month: one row per player event (play, pause, complete...)"
    " with seconds watched. The export repeats some events verbatim: no key in bronze, silver keeps one per event_id.",
    "users": "Landed `dimensional_tables/users_dim.csv`: one row per learner (name and e-mail stay in bronze and silver;"
    " gold keeps country and signup date), merged on user_id, the latest updated_at wins.",
    "projects": "Landed `dimensional_tables/projects_dim.csv`: one row per project of a nanodegree section, with its"
    " difficulty; merged on project_id.",
    "videos": "Landed `dimensional_tables/videos_dim.csv`: one row per video of a nanodegree section, with its position"
    " and duration; merged on video_id.",
}

CONTRACTS = [
    TableContract(
        "project_feedback", keys=("feedback_id",), required=("user_id", "project_id", "submitted_at", "rating") + PARTITION_COLUMNS,
        numeric=("rating",),
    ),
    TableContract(
        "section_feedback", keys=("feedback_id",), required=("user_id", "section_id", "submitted_at", "rating") + PARTITION_COLUMNS,
        numeric=("rating",),
    ),
    TableContract(
        "mentor_activity", keys=("question_id",), required=("user_id", "category", "question_text", "asked_at") + PARTITION_COLUMNS,
    ),
    # the export repeats some events verbatim: no key in bronze, silver keeps one row per event_id
    TableContract(
        "video_log", required=("event_id", "user_id", "video_id", "event_ts", "event_type") + PARTITION_COLUMNS,
        numeric=("seconds_watched",),
    ),
    TableContract("users", keys=("user_id", "updated_at"), required=("signup_date",)),
    TableContract("projects", keys=("project_id", "updated_at"), required=("nanodegree", "section_id"), numeric=("difficulty",)),
    TableContract(
        "videos", keys=("video_id", "updated_at"), required=("nanodegree", "section_id"), numeric=("position", "duration_seconds"),
    ),
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def source_url() -> str:
    """UDACITY_SOURCE (a folder or fsspec URL), else the synthetic landing folder."""
    return (os.environ.get("UDACITY_SOURCE") or str(landing_dir(SOURCE))).rstrip("/")


def configured() -> bool:
    return bool(os.environ.get("UDACITY_SOURCE"))


def landed_start_month_file():
    """Where `make run`'s default landing records the month it started at (the first partition month)."""
    return landing_dir(SOURCE) / "start_month"


def earliest_landed_month(root: str) -> str | None:
    """The earliest `<nanodegree>/<YYYY>/<MM>` folder holding a fact file under `root` (valid names only), as YYYY-MM."""
    import fsspec

    try:
        fs, base = fsspec.core.url_to_fs(root)
        files = fs.glob(f"{base.rstrip('/')}/*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.csv")
    except (OSError, ValueError):
        return None
    months = []
    for path in files:
        nanodegree, year, mon, name = path.split("/")[-4:]
        try:
            validate_nanodegree(nanodegree)
        except ValueError:
            continue
        if nanodegree != DIMENSION_FOLDER and name[:-4] in FACT_FILES and 1 <= int(mon) <= 12:
            months.append(f"{year}-{mon}")
    return min(months) if months else None


def start_month() -> str:
    """First partition month as YYYY-MM-01: UDACITY_START_MONTH (YYYY-MM or YYYY-MM-01); else, for
    UDACITY_SOURCE, its earliest month folder; else the month the default landing started at; else
    DEFAULT_START_MONTH."""
    value = os.environ.get("UDACITY_START_MONTH")
    if not value and configured():
        value = earliest_landed_month(source_url())
    if not value and not configured() and landed_start_month_file().exists():
        value = landed_start_month_file().read_text().strip()
    year, month = parse_month(value or DEFAULT_START_MONTH)
    return f"{year:04d}-{month:02d}-01"


def parse_month(value: str) -> tuple[int, int]:
    match = _MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"invalid month {value!r}: expected YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def validate_nanodegree(name: str) -> str:
    """A nanodegree name becomes a folder, a partition key and a SQL literal: lower-case identifiers only."""
    return safe_identifier(name, "nanodegree name")


def month_folder(root: str, nanodegree: str, month: str) -> str:
    year, mon = parse_month(month)
    return f"{root}/{validate_nanodegree(nanodegree)}/{year:04d}/{mon:02d}"
