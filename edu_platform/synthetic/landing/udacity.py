"""Default data for `make run`: synthetic course files in the landing folder when UDACITY_SOURCE is unset.

The first time, the default nanodegrees' last DEFAULT_LANDED_MONTHS complete months are landed and the first one
is recorded as the first partition month; then each new month is landed as it ends.
"""

from datetime import datetime

from edu_platform.defs.udacity.landing import last_complete_month
from edu_platform.defs.udacity.settings import (
    DIMENSION_FOLDER,
    SOURCE,
    configured,
    earliest_landed_month,
    landed_start_month_file,
    parse_month,
    start_month,
)
from edu_platform.lib.config import setting
from edu_platform.lib.settings import landing_dir
from edu_platform.synthetic.udacity import DEFAULT_NANODEGREES, month_range, write_dimensions, write_month

DEFAULT_LANDED_MONTHS = 3  # how many months the default landing starts with, ending at the last complete month


def default_months(now: datetime | None = None) -> list[str]:
    """Every partition month so far: from the first partition month to the last complete one."""
    start_y, start_m = parse_month(start_month())
    end_y, end_m = parse_month(last_complete_month(now))
    count = (end_y - start_y) * 12 + (end_m - start_m) + 1
    return month_range(f"{end_y:04d}-{end_m:02d}", count) if count > 0 else []


def pin_default_start(now: datetime | None = None) -> str:
    """The default landing's first month, recorded once (the first partition month from then on): the
    earliest month already landed, else the DEFAULT_LANDED_MONTHS months ending at the last complete one."""
    marker = landed_start_month_file()
    if marker.exists():
        return marker.read_text().strip()
    start = earliest_landed_month(str(landing_dir(SOURCE))) or month_range(last_complete_month(now), DEFAULT_LANDED_MONTHS)[0]
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(start)
    return start


def ensure_landed(now: datetime | None = None) -> str | None:
    """Without UDACITY_SOURCE, land the default nanodegrees for every partition month not yet landed
    (the first time, the last DEFAULT_LANDED_MONTHS complete months; then each new month as it ends)."""
    if configured():
        return None
    pin_default_start(now)
    root = landing_dir(SOURCE)
    scale = setting("EDU_UDACITY_SCALE")
    missing = [
        (nd, month)
        for nd in DEFAULT_NANODEGREES
        for month in default_months(now)
        if not (root / nd / month[:4] / month[5:7] / "video_log.csv").exists()
    ]
    if not missing and (root / DIMENSION_FOLDER / "users_dim.csv").exists():
        return None
    write_dimensions(root, DEFAULT_NANODEGREES, scale)
    for nd, month in missing:
        write_month(root, nd, month, scale)
    return f"generated synthetic course files at scale {scale} in {root} ({len(missing)} nanodegree-month folders)"

