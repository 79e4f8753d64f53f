"""`edu-platform run` killed with SIGKILL mid-load together with the daemon it started (and with it the run
worker), then run again through the same PostgreSQL-backed Dagster instance: the dead run is released (its
pool slots freed), the new run is not blocked by it, and bronze ends up complete."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from edu_platform.synthetic.oulad import generate
from edu_platform_tests.helpers import cli_environment, make_database

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("edu-platform"))


def test_killed_cli_run_releases_its_slots_and_rerun_completes(tmp_path):
    counts = generate(tmp_path / "oulad", scale=0.02)
    warehouse, storage = make_database("cli_kill_wh"), make_database("cli_kill_dagster")
    env = cli_environment(tmp_path / "dagster_home", warehouse, storage, OULAD_SOURCE=str(tmp_path / "oulad"))
    args = [CLI, "run", "--select", "group:oulad_bronze"]
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    killed = False
    while child.poll() is None and time.time() < deadline:
        active = warehouse.rows(
            "select query from pg_stat_activity where datname = %s and state = 'active' and query ilike 'copy %%'",
            (warehouse.database,),
        )
        if active:
            daemon_pid = int((tmp_path / "dagster_home" / "state" / "daemon" / "daemon.pid").read_text().split()[0])
            os.killpg(child.pid, signal.SIGKILL)
            os.killpg(daemon_pid, signal.SIGKILL)  # the daemon, its code server and the run worker
            child.wait()
            killed = True
            break
        time.sleep(0.02)
    assert killed, "the run ended before its COPY could be interrupted"

    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert "released 1 abandoned run" in rerun.stdout
    assert warehouse.scalar("select count(*) from bronze.oulad_student_vle") == counts["studentVle"]
    assert warehouse.scalar("select count(*) from bronze.oulad_student_info") == counts["studentInfo"]
