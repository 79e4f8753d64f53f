"""Default data for `make run`: a small synthetic Dost database when DOST_SOURCE_URL is unset.

It looks live: its history ends with the last complete week (a few hundred parents over ten weeks), and
its first Monday becomes the start of the weekly partitions (recorded beside the other landed data), so
the first run loads ten weeks, not every week since the generator's default start in 2019.
`edu-platform generate dost --append-week` then adds the next week, as the real database would.
"""

import datetime as dt

from edu_platform.defs.dost.generator import HIDDEN, generate, source_exists
from edu_platform.defs.dost.settings import DEFAULT_SOURCE_DB, configured, landed_first_week_file, source_warehouse
from edu_platform.lib.settings import env_float

DEFAULT_SCALE = 0.3  # ~430 users
DEFAULT_WEEKS = 10


def _this_monday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.isoweekday() - 1)


def ensure_landed(today: dt.date | None = None) -> str | None:
    if configured():
        return None
    db = source_warehouse()
    marker = landed_first_week_file()
    if source_exists(db):
        start = db.scalar(f"select start_date from {HIDDEN}.meta").isoformat()
        if not marker.exists() or marker.read_text().strip() != start:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(start)
        return None
    scale = env_float("EDU_DOST_SCALE", DEFAULT_SCALE)
    weeks = int(env_float("EDU_DOST_WEEKS", DEFAULT_WEEKS))
    start = _this_monday(today or dt.datetime.now(dt.timezone.utc).date()) - dt.timedelta(weeks=weeks)
    counts = generate(db, scale=scale, weeks=weeks, start=start.isoformat())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(start.isoformat())
    return (
        f"generated synthetic Dost source {DEFAULT_SOURCE_DB} at scale {scale}: {weeks} weeks from {start}"
        f" ({counts['users']} users, {counts['campaign']} calls); weekly partitions start {start}"
    )
