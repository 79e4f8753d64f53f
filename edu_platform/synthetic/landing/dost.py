"""Default data for `make run`: a small synthetic Dost database when DOST_SOURCE_URL is unset.

It looks live: its history (a few hundred parents over ten weeks) stops one week before the last complete
week, so `edu-platform generate dost --append-week` right after `make run` has a complete week to add, as
the real database would (the newest weekly partition loads nothing until then). Its first Monday becomes
the start of the weekly partitions (recorded beside the other landed data), so the first run loads eleven
weeks, not every week since the generator's default start in 2019.
"""

import datetime as dt

from edu_platform.defs.dost.settings import DEFAULT_SOURCE_DB, configured, landed_first_week_file, source_warehouse
from edu_platform.lib.partitions import last_complete_week
from edu_platform.lib.config import setting
from edu_platform.synthetic.dost import HIDDEN, generate, source_exists


def default_history(weeks: int, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """(first Monday, end) of the default history: `weeks` weeks ending where the last complete week starts."""
    end = last_complete_week(now)
    return end - dt.timedelta(weeks=weeks), end


def ensure_landed(today: dt.date | None = None, now: dt.datetime | None = None) -> str | None:
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
    scale = setting("EDU_DOST_SCALE")
    weeks = setting("EDU_DOST_WEEKS")
    if today is not None and now is None:
        now = dt.datetime.combine(today, dt.time(12), dt.timezone.utc)
    start, end = default_history(weeks, now)
    counts = generate(db, scale=scale, weeks=weeks, start=start.isoformat())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(start.isoformat())
    return (
        f"generated synthetic Dost source {DEFAULT_SOURCE_DB} at scale {scale}: {weeks} weeks from {start}"
        f" ({counts['users']} users, {counts['campaign']} calls); weekly partitions start {start};"
        f" the week of {end} is left for `edu-platform generate dost --append-week`"
    )
