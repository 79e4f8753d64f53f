"""A file-source run killed with SIGKILL during the COPY into bronze, or during the dbt build, then re-run,
leaves every table exactly as an uninterrupted run does: nothing lost, nothing doubled. And the whole graph
run twice over the same files gives identical tables."""

import pytest

from edu_platform_tests.helpers import make_database, table_hashes
from edu_platform_tests.reliability.child_runs import OULAD_GROUPS, kill_during, oulad_env, run_graph


def _observer(db):
    def observe():
        return db.rows(
            "select application_name, query from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
            " and state = 'active'",
            (db.database,),
        )

    return observe


@pytest.mark.parametrize("stage", ["copy", "dbt"])
def test_killed_run_then_rerun_equals_uninterrupted(stage, oulad_reference, oulad_folder, tmp_path):
    db = make_database(f"crash_{stage}")
    env = oulad_env(db, oulad_folder, tmp_path, stage)
    assert kill_during(stage, OULAD_GROUPS, env, _observer(db)), f"the run finished before reaching {stage}"
    rerun = run_graph(OULAD_GROUPS, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert table_hashes(db) == oulad_reference["hashes"]
    db.drop_database()


def test_whole_graph_run_twice_gives_identical_tables(oulad_reference):
    assert oulad_reference["rerun"] == oulad_reference["hashes"]
