"""Dost's five transactional tables: each one's single declaration (columns and type families, keys, window
cursor, checks, description).

The columns are the source's schema contract: checked before every extraction, a declared column missing or of
another type family blocks the load, naming table, column, expected and found type (a renamed column would
otherwise load as NULL and silver would count it as 0); a column not declared here is carried into bronze and
reported by the warning check `schema_drift`.
"""

from edu_platform.defs.dost.settings import CADENCE, SOURCE
from edu_platform.lib.tables import BronzeTable, by_name


def _source_table(name: str, **declaration) -> BronzeTable:
    """A table of the source database, loaded weekly; its primary key is unique there, so a key repeated within
    one load is a defect (`unique_in_source`)."""
    return BronzeTable(SOURCE, name, cadence=CADENCE, unique_in_source=True, **declaration)


TABLES: tuple[BronzeTable, ...] = (
    # Users are kept per version in bronze (merged on id and updated_at): a later load with an older updated_at
    # adds an old version instead of replacing the newer one, and gold's user history is built from them.
    _source_table(
        "users",
        columns={"id": "integer", "created_on": "timestamptz", "language": "text", "status": "text",
                 "unsubscribed_on": "timestamptz", "updated_at": "timestamptz"},
        key=("id", "updated_at"), source_key=("id",), cursor="updated_at",
        required=("created_on", "updated_at", "status"),
        description="Dost source table `users`: one row per version of a user (status, signup and update times), kept by"
        " (id, updated_at); a week loads the users created or changed in it.",
    ),
    # the phone number never reaches bronze: its salted hash does
    _source_table(
        "experience",
        columns={"id": "integer", "user_id": "integer", "program_id": "integer", "provider_number": "text",
                 "phone": "text", "created_on": "timestamptz"},
        renamed={"phone": "phone_hash"},
        key=("id",), cursor="created_on",
        required=("user_id", "program_id", "provider_number", "phone_hash", "created_on"),
        description="Dost source table `experience`: one row per enrolment of a user in a program, with the provider"
        " and the phone number as a salted hash (the number itself never leaves the source).",
    ),
    _source_table(
        "programseq",
        columns={"id": "integer", "program_id": "integer", "sequence_index": "integer", "week": "integer", "day": "integer"},
        key=("id",),
        required=("program_id", "sequence_index", "week", "day"),
        description="Dost source table `programseq`: the program calendar, one row per (program, sequence index) with"
        " its week and day; reference data, read whole every week.",
    ),
    _source_table(
        "content",
        columns={"id": "integer", "program_id": "integer", "programseq_id": "integer", "duration": "integer",
                 "title": "text", "language": "text"},
        key=("id",),
        required=("program_id", "programseq_id", "duration"), numeric=("duration",),
        description="Dost source table `content`: one row per audio content of a program, with its duration in"
        " seconds; reference data, read whole every week.",
    ),
    _source_table(
        "campaign",
        columns={"id": "integer", "experience_id": "integer", "user_id": "integer", "program_id": "integer",
                 "programseq_id": "integer", "content_id": "integer", "status": "text",
                 "attempted_timestamp": "timestamptz", "call_start_time": "timestamptz", "call_end_time": "timestamptz",
                 "listen_secs": "integer", "updated_at": "timestamptz"},
        key=("id",), cursor="updated_at",
        required=("experience_id", "user_id", "program_id", "content_id", "status", "attempted_timestamp", "updated_at"),
        numeric=("listen_secs",),
        description="Dost source table `campaign`: one row per call placed to a user (content, status, attempt time,"
        " seconds listened); a week loads that week's calls and the corrections made to older ones.",
    ),
)

TABLES_BY_NAME = by_name(TABLES)
