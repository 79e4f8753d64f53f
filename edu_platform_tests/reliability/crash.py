"""Kill a real run with SIGKILL at a chosen stage, observed from PostgreSQL's own activity view."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

RUNNER = Path(__file__).with_name("run_graph.py")

# stage -> a predicate over pg_stat_activity rows (application_name, query) of the warehouse database
STAGES = {
    "copy": lambda app, query: query.lstrip().upper().startswith("COPY"),
    "dbt": lambda app, query: app.startswith("dbt") and ("silver" in query or "gold" in query),
}


def run_graph(groups: str, env: dict, partition: str | None = None) -> subprocess.CompletedProcess:
    args = [sys.executable, str(RUNNER), groups] + ([partition] if partition else [])
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)


def kill_during(stage: str, groups: str, env: dict, observe, partition: str | None = None, timeout: float = 300) -> bool:
    """Start the run, SIGKILL its whole process group the moment `observe()` shows the stage; True if killed."""
    args = [sys.executable, str(RUNNER), groups] + ([partition] if partition else [])
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    try:
        while process.poll() is None and time.time() < deadline:
            if any(STAGES[stage](app or "", query or "") for app, query in observe()):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.02)
        return False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
