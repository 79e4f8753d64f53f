"""Landed folders: the default synthetic landing for `make run`, and nanodegree discovery for partitions.

A nanodegree is a folder under the landing root holding at least one `<YYYY>/<MM>/<table>.csv` file;
registering it as a dynamic partition is all it takes to add one (no code change). Folder names become
partition keys, paths and SQL literals, so anything but a lower-case identifier is refused.
"""

import logging
from datetime import datetime, timezone

from dlt.sources.filesystem import filesystem

from edu_platform.defs.udacity.settings import (
    DEFAULT_NANODEGREES,
    DEFAULT_SCALE,
    DIMENSION,
    DIMENSION_FOLDER,
    FACT_FILES,
    SOURCE,
    configured,
    parse_month,
    source_url,
    start_month,
    validate_nanodegree,
)
from edu_platform.lib.settings import env_float, landing_dir

log = logging.getLogger(__name__)


def last_complete_month(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def default_months(now: datetime | None = None) -> list[str]:
    """Every partition month so far: from the first partition month to the last complete one."""
    from edu_platform.defs.udacity.generator import month_range

    start_y, start_m = parse_month(start_month())
    end_y, end_m = parse_month(last_complete_month(now))
    count = (end_y - start_y) * 12 + (end_m - start_m) + 1
    return month_range(f"{end_y:04d}-{end_m:02d}", count) if count > 0 else []


def ensure_landed() -> str | None:
    """Without UDACITY_SOURCE, land the default nanodegrees for every partition month not yet landed."""
    if configured():
        return None
    from edu_platform.defs.udacity.generator import write_dimensions, write_month

    root = landing_dir(SOURCE)
    scale = env_float("EDU_UDACITY_SCALE", DEFAULT_SCALE)
    missing = [
        (nd, month)
        for nd in DEFAULT_NANODEGREES
        for month in default_months()
        if not (root / nd / month[:4] / month[5:7] / "video_log.csv").exists()
    ]
    if not missing and (root / DIMENSION_FOLDER / "users_dim.csv").exists():
        return None
    write_dimensions(root, DEFAULT_NANODEGREES, scale)
    for nd, month in missing:
        write_month(root, nd, month, scale)
    return f"generated synthetic course files at scale {scale} in {root} ({len(missing)} nanodegree-month folders)"


def discover_nanodegrees(root: str | None = None) -> tuple[list[str], list[str]]:
    """(valid, refused) nanodegree folder names under the root that hold landed fact files."""
    root = root or source_url()
    names = set()
    for item in filesystem(bucket_url=root, file_glob="*/*/*/*.csv"):
        parts = item["relative_path"].split("/")
        if len(parts) == 4 and parts[-1][:-4] in FACT_FILES and parts[0] != DIMENSION_FOLDER:
            names.add(parts[0])
    valid, refused = [], []
    for name in sorted(names):
        try:
            valid.append(validate_nanodegree(name))
        except ValueError:
            refused.append(name)
    return valid, refused


def new_nanodegrees(instance, root: str | None = None) -> tuple[list[str], list[str]]:
    valid, refused = discover_nanodegrees(root)
    known = set(instance.get_dynamic_partitions(DIMENSION))
    return [n for n in valid if n not in known], refused


def register_partitions(instance) -> list[str]:
    """Add every landed nanodegree folder to the `nanodegree` dynamic partitions (for `edu-platform run`)."""
    new, refused = new_nanodegrees(instance)
    for name in refused:
        log.warning("refused nanodegree folder %r: expected a lower-case identifier", name)
    if new:
        instance.add_dynamic_partitions(DIMENSION, new)
    return new
