"""The platform's folders, from their settings (edu_platform.lib.config), so every module agrees on them."""

from pathlib import Path

from edu_platform.lib.config import setting

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_home() -> Path:
    """The checkout (or image directory) holding `dbt/` and `dagster.yaml`."""
    if home := setting("EDU_PLATFORM_HOME"):
        return Path(home).resolve()
    candidate = PACKAGE_DIR.parent
    if (candidate / "dbt" / "dbt_project.yml").exists():
        return candidate
    return Path.cwd()


def state_dir() -> Path:
    """Local, gitignored state: embedded PostgreSQL, dlt pipelines, landed synthetic data."""
    path = Path(setting("EDU_STATE_DIR") or project_home() / ".edu_platform").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return project_home() / "dbt"


def dlt_pipelines_dir() -> Path:
    path = Path(setting("EDU_DLT_PIPELINES_DIR") or state_dir() / "dlt_pipelines")
    path.mkdir(parents=True, exist_ok=True)
    return path


def landing_dir(source: str) -> Path:
    """Where the synthetic generator lands a source's files when no real source is configured."""
    return state_dir() / "landing" / source


