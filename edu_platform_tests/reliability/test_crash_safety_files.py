"""A file-source run killed with SIGKILL during the COPY into bronze, or during the dbt build, then re-run,
leaves every table exactly as an uninterrupted run does: nothing lost, nothing doubled."""

import os

import pytest

from edu_platform.defs.oulad.generator import generate
from edu_platform_tests.conftest import make_database
from edu_platform_tests.helpers import table_hashes
from edu_platform_tests.reliability.crash import kill_during, run_graph

GROUPS = "oulad_bronze,oulad_silver,oulad_gold,shared_gold"


@pytest.fixture(scope="module")
def oulad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad_crash")
    generate(folder, scale=0.015)
    return folder


def _env(db, folder, tmp_path, name):
    return {
        **os.environ,
        "EDU_WAREHOUSE_URL": db.libpq_url(),
        "OULAD_SOURCE": str(folder),
        "EDU_DLT_PIPELINES_DIR": str(tmp_path / f"dlt_{name}"),
        "EDU_STATE_DIR": str(tmp_path / f"state_{name}"),
    }


@pytest.fixture(scope="module")
def reference(oulad_folder, tmp_path_factory):
    db = make_database("crash_ref")
    done = run_graph(GROUPS, _env(db, oulad_folder, tmp_path_factory.mktemp("ref"), "ref"))
    assert done.returncode == 0, done.stderr[-3000:]
    hashes = table_hashes(db)
    assert hashes["gold.fct_vle_interactions"][0] > 0
    return hashes


def _observer(db):
    def observe():
        return db.rows(
            "select application_name, query from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
            " and state = 'active'",
            (db.database,),
        )

    return observe


@pytest.mark.parametrize("stage", ["copy", "dbt"])
def test_killed_run_then_rerun_equals_uninterrupted(stage, reference, oulad_folder, tmp_path):
    db = make_database(f"crash_{stage}")
    env = _env(db, oulad_folder, tmp_path, stage)
    assert kill_during(stage, GROUPS, env, _observer(db)), f"the run finished before reaching {stage}"
    rerun = run_graph(GROUPS, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert table_hashes(db) == reference
    db.drop_database()
