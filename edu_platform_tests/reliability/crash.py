"""Kill a real run with SIGKILL at a chosen stage, observed from PostgreSQL's own activity view."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

RUNNER = Path(__file__).with_name("run_graph.py")

# stage -> a predicate over pg_stat_activity rows (application_name, query) of the observed database
STAGES = {
    # the source side of dlt's extract: any query the run sends to the source database
    "extract": lambda app, query: query.lstrip().upper().startswith(("SELECT", "WITH")),
    "copy": lambda app, query: query.lstrip().upper().startswith("COPY"),
    "dbt": lambda app, query: app.startswith("dbt") and ("silver" in query or "gold" in query),
}


def _args(groups: str, partition: str | None) -> list[str]:
    return [sys.executable, str(RUNNER), groups] + ([partition] if partition else [])


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
