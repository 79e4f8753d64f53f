"""OULAD's settings: where the published files are read from, and how often they land."""

from edu_platform.lib.config import is_set, setting
from edu_platform.lib.settings import landing_dir

SOURCE = "oulad"
CADENCE = "monthly"  # how often new data lands (freshness checks)
OWNER = "team:learning-analytics"  # who answers for it (shown on every asset)


def source_url() -> str:
    """OULAD_SOURCE (a folder or fsspec URL), else the synthetic landing folder."""
    return setting("OULAD_SOURCE") or str(landing_dir(SOURCE))


def configured() -> bool:
    return is_set("OULAD_SOURCE")
