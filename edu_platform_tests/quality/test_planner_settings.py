"""Planner settings come from one macro (dbt/macros/planner_settings.sql) through the project-wide pre-hook: a model
gets its profile's `set local` statements inside its own transaction, and EDU_PLANNER_SETTINGS=false (or the dbt
var edu_planner_settings) turns them all off. Probed with two throw-away table models in a copy of the project,
each recording the settings it was built under."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edu_platform.lib.settings import dbt_project_dir

SETTINGS = "select current_setting('enable_hashagg') as hashagg, current_setting('enable_mergejoin') as mergejoin"
PROBES = {
    "probe_sorted": "{{ config(materialized='table', meta={'planner_profile': 'sorted_group_by'}) }}\n" + SETTINGS,
    "probe_default": "{{ config(materialized='table') }}\n" + SETTINGS,
}


@pytest.fixture
def probe_project(tmp_path) -> Path:
    project = tmp_path / "dbt"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "probe").mkdir()
    for name, sql in PROBES.items():
        (project / "models" / "probe" / f"{name}.sql").write_text(sql)
    return project


def _build(project: Path, warehouse, monkeypatch, flag: str) -> dict:
    for name, value in warehouse.dbt_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EDU_PLANNER_SETTINGS", flag)
    dbt = Path(sys.executable).with_name("dbt")  # this environment's dbt
    subprocess.run(
        [str(dbt), "run", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(project / "target"), "--select", "probe_sorted", "probe_default"],
        check=True,
    )
    return {name: warehouse.rows(f"select hashagg, mergejoin from public.{name}")[0] for name in PROBES}


def test_profiles_apply_per_model_and_switch_off(probe_project, fresh_warehouse, monkeypatch):
    on = _build(probe_project, fresh_warehouse, monkeypatch, "true")
    assert on == {"probe_sorted": ("off", "off"), "probe_default": ("on", "on")}
    off = _build(probe_project, fresh_warehouse, monkeypatch, "false")
    assert off == {"probe_sorted": ("on", "on"), "probe_default": ("on", "on")}
    # `set local` ends with the model's transaction: a later session sees the server's own setting
    assert fresh_warehouse.scalar("show enable_hashagg") == "on"
