"""Dost's settings: the source database, the weekly window and its lag, the phone-hash salt. Its tables are
declared in `tables.py`."""

import datetime as dt

from edu_platform.lib.config import is_set, setting
from edu_platform.lib.settings import landing_dir
from edu_platform.lib.warehouse import Warehouse, server

SOURCE = "dost"
CADENCE = "weekly"  # how often new data lands (freshness checks)
OWNER = "team:dost-programs"  # who answers for it (shown on every asset)
DEFAULT_SOURCE_DB = "edu_dost_source"
# The generator's first Monday, and so the first weekly partition unless DOST_FIRST_WEEK says otherwise.
FIRST_MONDAY = "2019-01-07"
LOCAL_PII_SALT = "edu-platform-local-salt"


def configured() -> bool:
    return is_set("DOST_SOURCE_URL")


def source_warehouse() -> Warehouse:
    """DOST_SOURCE_URL, else the synthetic source database on the warehouse server."""
    if url := setting("DOST_SOURCE_URL"):
        return Warehouse.from_url(url)
    return server().with_database(DEFAULT_SOURCE_DB)


def landed_first_week_file():
    """Where `make run`'s default synthetic source records its first Monday (it ends with the last full week)."""
    return landing_dir(SOURCE) / "first_week"


def first_week() -> str:
    """Start of the weekly partitions: DOST_FIRST_WEEK (a Monday, YYYY-MM-DD); else, for the default synthetic
    source, the first Monday it was generated from; else the generator's default first Monday."""
    if day := setting("DOST_FIRST_WEEK"):
        return day.isoformat()
    value = FIRST_MONDAY
    if not configured() and landed_first_week_file().exists():
        value = landed_first_week_file().read_text().strip() or FIRST_MONDAY
    if dt.date.fromisoformat(value).isoweekday() != 1:
        raise ValueError(f"{landed_first_week_file()}: {value!r} is not a Monday")
    return value


def lag_hours() -> float:
    """A row may be committed a while after its updated_at (a long transaction, a batch of corrections): every
    window is re-read from DOST_UPDATED_AT_LAG_HOURS (default 24) before its start, and merged on the primary key."""
    return setting("DOST_UPDATED_AT_LAG_HOURS")


def pii_salt() -> str:
    """Salt of the phone-number hash (EDU_PII_SALT); a fixed local default keeps local runs reproducible."""
    return setting("EDU_PII_SALT") or LOCAL_PII_SALT
