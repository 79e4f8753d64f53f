"""Default data for `make run`: a small synthetic Dost database when DOST_SOURCE_URL is unset."""

from edu_platform.defs.dost.generator import generate, source_exists
from edu_platform.defs.dost.settings import DEFAULT_SOURCE_DB, FIRST_MONDAY, configured, source_warehouse
from edu_platform.lib.settings import env_float

DEFAULT_SCALE = 0.3  # ~400 users
DEFAULT_WEEKS = 10


def ensure_landed() -> str | None:
    if configured():
        return None
    db = source_warehouse()
    if source_exists(db):
        return None
    scale = env_float("EDU_DOST_SCALE", DEFAULT_SCALE)
    weeks = int(env_float("EDU_DOST_WEEKS", DEFAULT_WEEKS))
    counts = generate(db, scale=scale, weeks=weeks, start=FIRST_MONDAY)
    return (
        f"generated synthetic Dost source {DEFAULT_SOURCE_DB} at scale {scale}, {weeks} weeks from {FIRST_MONDAY}"
        f" ({counts['users']} users, {counts['campaign']} calls)"
    )
