"""A database-source (Dost) run killed with SIGKILL during dlt's extract, during the COPY into bronze, or
during the dbt build, then re-run, leaves every bronze, silver and gold table exactly as one uninterrupted
run does: same row count and content hash per table, nothing lost, nothing doubled.

The run is a real child process (dlt, dbt and Dagster as deployed) over the Dost weeks as one single-run
backfill; the moment to kill is read from PostgreSQL's pg_stat_activity. To make "during the extract"
deterministic, the test holds a lock on the source's campaign table: the extract's SELECT on it waits,
visibly, while the other tables may already be extracted, and the child is killed right then.
"""

import pytest
from dagster import AssetSelection

from edu_platform_tests.helpers import clone_database, environment, materialize_selection, run_environment, step_errors, table_hashes
from edu_platform_tests.reliability.child_runs import DOST_GROUPS, DOST_RANGE, ActivityObserver, child_env, kill_group, start_graph, wait_for


@pytest.mark.parametrize("stage", ["extract", "copy", "dbt"])
def test_killed_dost_run_then_rerun_equals_uninterrupted(stage, dost_reference, dost_source, dim_date_template, tmp_path):
    db = clone_database(dim_date_template, f"rel_dost_crash_{stage}")
    variables = run_environment(db, tmp_path, DOST_SOURCE_URL=dost_source.libpq_url())
    log = tmp_path / "child.log"
    lock = None
    if stage == "extract":
        lock = dost_source.connect(autocommit=False)
        with lock.cursor() as cur:
            cur.execute("lock table campaign in access exclusive mode")
        observed = ActivityObserver(dost_source, "wait_event_type = 'Lock' and query ilike '%campaign%'")
    else:
        observed = ActivityObserver(db)
    child = start_graph(DOST_GROUPS, child_env(variables), DOST_RANGE, log=log)
    try:
        reached = wait_for(child, stage, observed, timeout=300, poll=0.005)
        kill_group(child)
    finally:
        kill_group(child)
        observed.close()
        if lock is not None:
            lock.rollback()
            lock.close()
    assert reached, f"the run ended before reaching {stage}:\n{log.read_text()[-3000:]}"
    assert child.returncode == -9

    with environment(**variables):  # the same warehouse and dlt pipelines dir the killed run used
        rerun = materialize_selection(AssetSelection.groups(*DOST_GROUPS.split(",")), partition=DOST_RANGE)
    assert rerun.success, step_errors(rerun)
    assert table_hashes(db) == dost_reference["hashes"]
    db.drop_database()
