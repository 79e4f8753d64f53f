"""Real runs in a child process, to kill with SIGKILL (or restart the server under) at a chosen stage observed
from PostgreSQL's own activity view; and the runs the reliability tests share.

As a program (`python -m edu_platform_tests.reliability.child_runs GROUPS [PARTITION | FIRST...LAST]`) it
materializes the groups in this process; a failed step is summarised on stderr as `STEP FAILED <step>: <error>`
so a parent can assert on the message.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# A small Dost history: six weeks at twice the default density, ~20,000 calls (enough for a COPY that
# lasts long enough to be seen in pg_stat_activity), loaded as one single-run backfill over its weeks.
DOST_START, DOST_WEEKS, DOST_SCALE = "2019-12-02", 6, 2.0
DOST_RANGE = "2019-12-02...2020-01-06"
DOST_GROUPS = "dost_bronze,dost_silver,dost_gold"
OULAD_GROUPS = "oulad_bronze,oulad_silver,oulad_gold,shared_gold"

# stage -> a predicate over pg_stat_activity rows (application_name, query) of the observed database
STAGES = {
    # the source side of dlt's extract: any query the run sends to the source database
    "extract": lambda app, query: query.lstrip().upper().startswith(("SELECT", "WITH")),
    "copy": lambda app, query: query.lstrip().upper().startswith("COPY"),
    "dbt": lambda app, query: app.startswith("dbt") and ("silver" in query or "gold" in query),
}


def _args(groups: str, partition: str | None) -> list[str]:
    return [sys.executable, "-m", "edu_platform_tests.reliability.child_runs", groups] + ([partition] if partition else [])


def child_env(variables: dict) -> dict:
    """This process's environment with `variables` on top (None: left out)."""
    return {**os.environ, **{k: str(v) for k, v in variables.items() if v is not None}}


def oulad_env(db, folder, tmp_path, name) -> dict:
    """A child run's environment: OULAD files from `folder` into `db`, dlt and state dirs of its own."""
    return child_env({
        "EDU_WAREHOUSE_URL": db.libpq_url(),
        "OULAD_SOURCE": str(folder),
        "EDU_DLT_PIPELINES_DIR": str(tmp_path / f"dlt_{name}"),
        "EDU_STATE_DIR": str(tmp_path / f"state_{name}"),
    })


def run_graph(groups: str, env: dict, partition: str | None = None) -> subprocess.CompletedProcess:
    """Run the selection in a child process; `partition` is a key or a range `FIRST...LAST`."""
    return subprocess.run(_args(groups, partition), env=env, capture_output=True, text=True, timeout=900)


def start_graph(groups: str, env: dict, partition: str | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start the run as a child in its own process group (so a kill reaches dbt and every helper too)."""
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(_args(groups, partition), env=env, stdout=out, stderr=subprocess.STDOUT if log else out, start_new_session=True)
    finally:
        if log:
            out.close()


def wait_for(process: subprocess.Popen, stage: str, observe, timeout: float = 300, poll: float = 0.02) -> bool:
    """Poll `observe()` until it shows `stage`; False if the process ended (or time ran out) first."""
    deadline = time.time() + timeout
    while process.poll() is None and time.time() < deadline:
        if any(STAGES[stage](app or "", query or "") for app, query in observe()):
            return True
        time.sleep(poll)
    return False


def kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def kill_during(
    stage: str, groups: str, env: dict, observe, partition: str | None = None, timeout: float = 300,
    poll: float = 0.02, log: Path | None = None,
) -> bool:
    """Start the run, SIGKILL its whole process group the moment `observe()` shows the stage; True if killed."""
    process = start_graph(groups, env, partition, log)
    try:
        if wait_for(process, stage, observe, timeout, poll):
            kill_group(process)
            return True
        return False
    finally:
        kill_group(process)


class ActivityObserver:
    """Active queries of other sessions on one database, read over one kept-open connection (a poll costs
    a query, not a connection, so a stage lasting a few tens of milliseconds is still seen)."""

    def __init__(self, db, extra_condition: str = "true"):
        self.db = db
        self.condition = extra_condition.replace("%", "%%")  # a literal inside psycopg2's format string
        self.conn = None

    def __call__(self) -> list[tuple[str, str]]:
        if self.conn is None or self.conn.closed:
            self.conn = self.db.connect()
        with self.conn.cursor() as cur:
            cur.execute(
                "select application_name, query from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
                f" and state = 'active' and ({self.condition})",
                (self.db.database,),
            )
            return cur.fetchall()

    def close(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    from dagster import AssetSelection

    from edu_platform_tests.helpers import materialize_selection

    result = materialize_selection(AssetSelection.groups(*sys.argv[1].split(",")), partition=sys.argv[2] if len(sys.argv) > 2 else None)
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.event_specific_data.error:
            print(f"STEP FAILED {event.step_key}: {event.event_specific_data.error.to_string()}", file=sys.stderr)
    sys.exit(0 if result.success else 1)
