"""Adding a source is adding a folder: a throw-away fourth source (`new_source/`: a Python folder for `defs/` and a
dbt folder for `models/silver/`) copied into a temporary copy of the project shows up in the source list, the UI
groups, owners, freshness checks, the CLI's plan for `make run`, and runs end to end through the CLI, with no
other file edited."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edu_platform_tests.helpers import cli_environment, make_database

ROOT = Path(__file__).resolve().parents[2]
NEW_SOURCE = Path(__file__).with_name("new_source")
BIN = Path(sys.executable).parent

INSPECT = """
import json
from dagster import AssetKey, AssetSelection, DagsterInstance
from edu_platform.definitions import defs
from edu_platform.lib.runner import plan_runs
from edu_platform.sources import SOURCES

graph = defs.resolve_asset_graph()
demo = [k for k in graph.get_all_asset_keys() if k.path[1:2] == ["demo"]]
with DagsterInstance.ephemeral() as instance:
    planned, _ = plan_runs(defs, AssetSelection.all(), instance, log=lambda *_: None)
print(json.dumps({
    "sources": list(SOURCES),
    "assets": sorted(k.to_user_string() for k in demo),
    "groups": sorted({graph.get(k).group_name for k in demo}),
    "owners": sorted({o for k in demo for o in graph.get(k).owners}),
    "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys if c.asset_key in demo),
    "jobs": [j.name for j in defs.jobs],
    "schedules": [s.name for s in defs.schedules],
    "planned_jobs": sorted({request.job_name for request, _ in planned}),
}))
"""


def _copy_project(dest: Path) -> None:
    """The project's tracked files, as a clean clone has them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@pytest.fixture(scope="module")
def project_with_demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("new_source")
    copy = tmp / "project"
    _copy_project(copy)
    shutil.copytree(NEW_SOURCE / "defs_demo", copy / "edu_platform" / "defs" / "demo")
    shutil.copytree(NEW_SOURCE / "dbt_silver_demo", copy / "dbt" / "models" / "silver" / "demo")
    empty = tmp / "no_data"
    empty.mkdir()
    warehouse, storage = make_database("newsrc_wh"), make_database("newsrc_dg")
    env = cli_environment(
        tmp / "home", warehouse, storage,
        PYTHONPATH=str(copy), EDU_PLATFORM_HOME=str(copy), EDU_DBT_TARGET_PATH=str(copy / "dbt" / "target"),
        # the three real sources point at nothing: only the demo source runs here
        OULAD_SOURCE=str(empty), UDACITY_SOURCE=str(empty), DOST_SOURCE_URL="postgresql://nobody:pw@127.0.0.1:1/none",
        DOST_FIRST_WEEK="2026-01-05", UDACITY_START_MONTH="2026-01",
    )
    setup = subprocess.run([str(BIN / "edu-platform"), "setup"], env=env, cwd=copy, capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    return {"copy": copy, "env": env, "warehouse": warehouse}


def test_the_new_folder_is_a_source_with_groups_owner_checks_and_a_job(project_with_demo):
    done = subprocess.run([sys.executable, "-c", INSPECT], env=project_with_demo["env"], cwd=project_with_demo["copy"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["sources"] == ["demo", "dost", "oulad", "udacity"]
    assert found["assets"] == ["bronze/demo/visits", "silver/demo/stg_demo__visits"]
    assert found["groups"] == ["demo_bronze", "demo_silver"]
    assert found["owners"] == ["team:demo"]
    assert "bronze/demo/visits:freshness_check" in found["checks"]
    assert "silver/demo/stg_demo__visits:unique_visit_id" in found["checks"]
    assert "demo_daily_job" in found["jobs"] and "demo_daily_job_schedule" in found["schedules"]
    assert "demo_daily_job" in found["planned_jobs"]  # what `make run` (`edu-platform run`) launches


def test_the_new_source_runs_through_the_cli(project_with_demo):
    env = project_with_demo["env"]
    done = subprocess.run([str(BIN / "edu-platform"), "run", "--select", "group:demo_bronze or group:demo_silver"],
                          env=env, cwd=project_with_demo["copy"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "demo_daily_job" in done.stdout
    rows = project_with_demo["warehouse"].rows("select visit_id, learner_id, page from silver.stg_demo__visits order by visit_id")
    assert rows == [(1, 10, "home"), (2, 11, "quiz"), (3, 10, "quiz")]
