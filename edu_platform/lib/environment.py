"""What the platform puts into the process environment for the tools that read their settings there:
dbt (dbt/profiles.yml reads EDU_DBT_*), Dagster (dagster.yaml reads EDU_DAGSTER_* and DAGSTER_HOME) and
dlt (SECTION__KEY variables, exported when the package is imported: `export_dlt_defaults`). Child processes
(dbt, `dagster dev`, run workers) inherit what is exported here. A variable the user already set always wins.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from edu_platform.lib.warehouse import Warehouse

# The package imports this module first thing (`export_dlt_defaults`), so every process pays for its imports,
# dbt's subprocesses included: the configuration layer (which imports Dagster) and the warehouse helpers are
# imported by the functions that use them.

DLT_DEFAULTS = {
    # no anonymous usage events sent to dlthub from a user's deployment
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # intermediate files stay uncompressed: gzip is the main cost of the COPY load path
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true",
    "LOAD__DELETE_COMPLETED_JOBS": "true",
    # bounded memory: extracted files rotate every 500,000 rows and each load worker holds one file in memory,
    # so a big table loads as several files side by side (their COPYs overlap) in bounded memory
    "DATA_WRITER__FILE_MAX_ITEMS": "500000",
    "LOAD__WORKERS": str(max(2, min(4, os.cpu_count() or 2))),
}


def export_dlt_defaults() -> None:
    """DLT_DEFAULTS into the environment. dlt resolves its runtime settings (telemetry among them) once per
    process, at the first source or pipeline built, and the definitions build sources at import time: so this
    runs when the `edu_platform` package is imported (`edu_platform/__init__.py`), before any. Idempotent."""
    for name, value in DLT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def executables_on_path() -> None:
    """This Python environment's executables (dbt, dagster) first on PATH, for tools that start them by name
    (dagster-dbt's manifest preparer runs `dbt`) when the environment is not activated."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")]))


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a child process: this process's (what was exported here included) plus `extra`."""
    return {**os.environ, **extra}


def runtime_dir(default: Path) -> Path:
    """XDG_RUNTIME_DIR (the embedded PostgreSQL's libraries warn without it), exported as `default` when unset;
    the folder exists on return."""
    path = Path(os.environ.setdefault("XDG_RUNTIME_DIR", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_dbt_environment() -> Warehouse:
    """dbt's connection (dbt/profiles.yml reads EDU_DBT_*) as the transformer role, for a dbt step."""
    from edu_platform.lib.warehouse import warehouse_as

    wh = warehouse_as("transformer")
    os.environ.update(wh.dbt_env())
    return wh


def export_environment() -> Warehouse:
    """The warehouse (as its admin, for set-up), Dagster's storage and folders, and this environment's
    executables first on PATH (dagster-dbt starts `dbt` by name under `dagster dev`), for the CLI's child
    processes (dbt, `dagster dev`)."""
    from edu_platform.lib.settings import project_home, state_dir
    from edu_platform.lib.warehouse import dagster_storage_url, get_warehouse

    executables_on_path()
    wh = get_warehouse()
    os.environ.update(wh.dbt_env())
    os.environ.setdefault("EDU_DAGSTER_STORAGE_URL", dagster_storage_url())
    os.environ.setdefault("DAGSTER_HOME", str(project_home()))
    os.environ.setdefault("EDU_DAGSTER_ARTIFACTS_DIR", str(state_dir() / "dagster"))
    os.environ.setdefault("EDU_DAGSTER_COMPUTE_LOGS_DIR", str(state_dir() / "dagster" / "compute_logs"))
    return wh


@contextlib.contextmanager
def exported_while(values: Mapping[str, str]):
    """`values` in the environment while a child process starts (it copies the environment), and as before
    afterwards: steps that share a process (in-process execution) never see another step's values."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
