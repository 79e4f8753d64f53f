"""Paths and environment-driven settings, read in one place so every module agrees on them."""

import os
from pathlib import Path

import dlt

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


# dlt: no telemetry, and uncompressed intermediate files (gzip was the main cost of the COPY path).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
# Bounded memory: extracted files rotate every million rows and at most a few load at once. The parquet loader
# (ADBC) held a whole 10.6 M-row file in memory (2.1 GB peak); rotated, two files load side by side in 0.9 GB
# and the two COPYs also overlap (Dost full history 73 s -> 58 s).
os.environ.setdefault("DATA_WRITER__FILE_MAX_ITEMS", "1000000")
os.environ.setdefault("LOAD__WORKERS", str(max(2, min(4, os.cpu_count() or 2))))
dlt.config["runtime.dlthub_telemetry"] = False
