"""Paths and environment-driven settings, read in one place so every module agrees on them."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_home() -> Path:
    """The checkout (or image directory) holding `dbt/` and `dagster.yaml`."""
    if home := os.environ.get("EDU_PLATFORM_HOME"):
        return Path(home).resolve()
    candidate = PACKAGE_DIR.parent
    if (candidate / "dbt" / "dbt_project.yml").exists():
        return candidate
    return Path.cwd()


def state_dir() -> Path:
    """Local, gitignored state: embedded PostgreSQL, dlt pipelines, landed synthetic data."""
    path = Path(os.environ.get("EDU_STATE_DIR", project_home() / ".edu_platform")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return project_home() / "dbt"


def dlt_pipelines_dir() -> Path:
    path = Path(os.environ.get("EDU_DLT_PIPELINES_DIR", state_dir() / "dlt_pipelines"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def landing_dir(source: str) -> Path:
    """Where the synthetic generator lands a source's files when no real source is configured."""
    return state_dir() / "landing" / source


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc


