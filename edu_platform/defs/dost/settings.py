"""Dost's transactional tables, what each promises in bronze, and the settings read from the environment."""

import datetime as dt
import os
from dataclasses import replace

from edu_platform.lib.checks import TableContract
from edu_platform.lib.settings import env_float, landing_dir
from edu_platform.lib.warehouse import Warehouse, server

SOURCE = "dost"
CADENCE = "weekly"  # how often new data lands (freshness checks)
OWNER = "team:dost-programs"  # who answers for it (shown on every asset)
DEFAULT_SOURCE_DB = "edu_dost_source"
# The generator's first Monday, and so the first weekly partition unless DOST_FIRST_WEEK says otherwise.
FIRST_MONDAY = "2019-01-07"
# A row may be committed a while after its updated_at (a long transaction, a batch of corrections):
# every window is re-read from this many hours before its start, and merged on the primary key.
DEFAULT_LAG_HOURS = 24.0
LOCAL_PII_SALT = "edu-platform-local-salt"

# table -> (primary key, the column a weekly window selects on; None = reference data, read whole)
TABLES: dict[str, tuple[str, str | None]] = {
    "users": ("id", "updated_at"),
    "experience": ("id", "created_on"),
    "programseq": ("id", None),
    "content": ("id", None),
    "campaign": ("id", "updated_at"),
}

# The source's schema contract: table -> column -> type family (integer, text, timestamptz, ...). Checked before
# every extraction: a declared column missing or of another family blocks the load, naming table, column,
# expected and found type (a renamed column would otherwise load as NULL and silver would count it as 0);
# a column not declared here is carried into bronze and reported by the warning check `schema_drift`.
SOURCE_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"id": "integer", "created_on": "timestamptz", "language": "text", "status": "text",
              "unsubscribed_on": "timestamptz", "updated_at": "timestamptz"},
    "experience": {"id": "integer", "user_id": "integer", "program_id": "integer", "provider_number": "text",
                   "phone": "text", "created_on": "timestamptz"},
    "programseq": {"id": "integer", "program_id": "integer", "sequence_index": "integer", "week": "integer", "day": "integer"},
    "content": {"id": "integer", "program_id": "integer", "programseq_id": "integer", "duration": "integer",
                "title": "text", "language": "text"},
    "campaign": {"id": "integer", "experience_id": "integer", "user_id": "integer", "program_id": "integer",
                 "programseq_id": "integer", "content_id": "integer", "status": "text",
                 "attempted_timestamp": "timestamptz", "call_start_time": "timestamptz", "call_end_time": "timestamptz",
                 "listen_secs": "integer", "updated_at": "timestamptz"},
}
# the phone number never reaches bronze: its salted hash does
BRONZE_RENAMED = {("experience", "phone"): "phone_hash"}
# Users are kept per version in bronze (merged on id and updated_at): a later load with an older updated_at adds
# an old version instead of replacing the newer one, and gold's dim_dost_user_history is built from them.
BRONZE_KEYS = {"users": ("id", "updated_at")}


def bronze_columns(table: str) -> tuple[str, ...]:
    return tuple(BRONZE_RENAMED.get((table, c), c) for c in SOURCE_COLUMNS[table])


# bronze table -> what a row is (shown as the asset's description in the Dagster UI, with its key and cadence)
DESCRIPTIONS: dict[str, str] = {
    "users": "Dost source table `users`: one row per version of a user (status, signup and update times), kept by"
    " (id, updated_at); a week loads the users created or changed in it.",
    "experience": "Dost source table `experience`: one row per enrolment of a user in a program, with the provider and"
    " the phone number as a salted hash (the number itself never leaves the source).",
    "programseq": "Dost source table `programseq`: the program calendar, one row per (program, sequence index) with its"
    " week and day; reference data, read whole every week.",
    "content": "Dost source table `content`: one row per audio content of a program, with its duration in seconds;"
    " reference data, read whole every week.",
    "campaign": "Dost source table `campaign`: one row per call placed to a user (content, status, attempt time,"
    " seconds listened); a week loads that week's calls and the corrections made to older ones.",
}


_CONTRACTS = [
    TableContract("users", keys=("id", "updated_at"), required=("created_on", "updated_at", "status"),
                  unique_in_source=True, source_keys=("id",)),
    TableContract("experience", keys=("id",), required=("user_id", "program_id", "provider_number", "phone_hash", "created_on"),
                  unique_in_source=True),
    TableContract("programseq", keys=("id",), required=("program_id", "sequence_index", "week", "day"), unique_in_source=True),
    TableContract("content", keys=("id",), required=("program_id", "programseq_id", "duration"), numeric=("duration",),
                  unique_in_source=True),
    TableContract(
        "campaign",
        keys=("id",),
        required=("experience_id", "user_id", "program_id", "content_id", "status", "attempted_timestamp", "updated_at"),
        numeric=("listen_secs",),
        unique_in_source=True,
    ),
]
CONTRACTS = [replace(c, columns=bronze_columns(c.table)) for c in _CONTRACTS]


def configured() -> bool:
    return bool(os.environ.get("DOST_SOURCE_URL"))


def source_warehouse() -> Warehouse:
    """DOST_SOURCE_URL, else the synthetic source database on the warehouse server."""
    if url := os.environ.get("DOST_SOURCE_URL"):
        return Warehouse.from_url(url)
    return server().with_database(DEFAULT_SOURCE_DB)


def landed_first_week_file():
    """Where `make run`'s default synthetic source records its first Monday (it ends with the last full week)."""
    return landing_dir(SOURCE) / "first_week"


def first_week() -> str:
    """Start of the weekly partitions: DOST_FIRST_WEEK (a Monday, YYYY-MM-DD); else, for the default synthetic
    source, the first Monday it was generated from; else the generator's default first Monday."""
    value = os.environ.get("DOST_FIRST_WEEK")
    if not value and not configured() and landed_first_week_file().exists():
        value = landed_first_week_file().read_text().strip()
    value = value or FIRST_MONDAY
    day = dt.date.fromisoformat(value)
    if day.isoweekday() != 1:
        raise ValueError(f"DOST_FIRST_WEEK={value!r} is not a Monday")
    return value


def lag_hours() -> float:
    return env_float("DOST_UPDATED_AT_LAG_HOURS", DEFAULT_LAG_HOURS)


def pii_salt() -> str:
    """Salt of the phone-number hash (EDU_PII_SALT); a fixed local default keeps local runs reproducible."""
    return os.environ.get("EDU_PII_SALT") or LOCAL_PII_SALT
