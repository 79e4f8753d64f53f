"""The course files' settings: where they are read from, the partition months and nanodegrees. Their tables are
declared in `tables.py`."""

import re

from edu_platform.lib.config import is_set, setting
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

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def source_url() -> str:
    """UDACITY_SOURCE (a folder or fsspec URL), else the synthetic landing folder."""
    return (setting("UDACITY_SOURCE") or str(landing_dir(SOURCE))).rstrip("/")


def configured() -> bool:
    return is_set("UDACITY_SOURCE")


def landed_start_month_file():
    """Where `make run`'s default landing records the month it started at (the first partition month)."""
    return landing_dir(SOURCE) / "start_month"


def earliest_landed_month(root: str) -> str | None:
    """The earliest `<nanodegree>/<YYYY>/<MM>` folder holding a fact file under `root` (valid names only), as YYYY-MM."""
    import fsspec

    from edu_platform.defs.udacity.tables import FACT_FILES

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
    value = setting("UDACITY_START_MONTH")
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
