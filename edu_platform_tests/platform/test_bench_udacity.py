"""The course-data part of `make bench` (bench/udacity.py) at a tiny scale, each measurement in its own process as
`bench/run.py` starts it: the landed files are generated, COPYed, and backfilled through the platform's range runs
into a warehouse of the benchmark's own (roles included). No timing is asserted: only that each figure was measured
and that the backfill built the silver events."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _measure(env: dict, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "udacity.py"), *args], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_course_benchmark_measures_copy_and_range_backfill(tmp_path):
    env = {**os.environ, "EDU_BENCH_DATA": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    folder = str(tmp_path / "udacity")
    rows = _measure(env, "prepare", folder, "0.002")["rows"]
    assert rows["video_log"] > 0 and rows["month_folders"] == 72
    copy = _measure(env, "copy", folder)
    assert copy["files"] == 4 * 72 and copy["seconds"] > 0
    floor = _measure(env, "floor", folder)  # the plain-SQL floor: COPY, one row per event, sessions
    assert floor["events"] > 0 and floor["floor_seconds"] >= floor["copy_seconds"] > 0
    backfill = _measure(env, "backfill", folder, "range", "6")  # the first two months x three nanodegrees
    assert backfill["partitions"] == 6 and backfill["runs"] == 1  # one range run, not one run per partition
    assert backfill["seconds"] > 0 and backfill["video_log_rows"] > 0
