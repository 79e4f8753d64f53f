"""`make bench`: load speed and memory against PostgreSQL's own COPY, measured side by side in one run.

Every figure is the median of N repetitions (min and max kept), each measured in a fresh subprocess
so peak RSS comes from the OS (getrusage of the child). Results: bench/results/latest.json + a dated copy.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report  # bench/report.py: figures against targets, README table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


def _child(measure: str, *args: str) -> dict:
    """Run one measurement in a fresh interpreter; returns its JSON plus that child's own peak RSS (wait4's
    rusage covers the child and the processes it waited for, such as dbt, and nothing measured before it)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [PY, str(Path(__file__).with_name("measure.py")), measure, *args],
            stdout=out, stderr=err, env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"measurement {measure} failed:\n{err.read()[-3000:]}")
        figures = json.loads(out.read().strip().splitlines()[-1])
    figures.setdefault("peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
    return figures


def _summary(runs: list[dict]) -> dict:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: {"median": statistics.median(r[k] for r in runs), "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)} for k in keys}


def _repeat(n: int, measure: str, *args: str) -> dict:
    return _summary([_child(measure, *args) for _ in range(n)])


def _paired(n: int, floor: str, measure: str, *args: str) -> tuple[dict, dict]:
    """A figure and the floor it is divided by, measured in turns (floor, figure, floor, figure, ...): on a shared
    machine whose load drifts over minutes, each ratio's two sides then see about the same conditions."""
    runs = [(_child(floor, *args), _child(measure, *args)) for _ in range(n)]
    return _summary([a for a, _ in runs]), _summary([b for _, b in runs])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["oulad", "dost", "udacity"], default=None)
    args = parser.parse_args()
    data = DATA / f"oulad_{args.scale:g}"
    # a server of the benchmark's own (unless EDU_WAREHOUSE_URL names one): COPY and platform side by side on it
    os.environ.setdefault("EDU_STATE_DIR", str(DATA / "state"))
    results: dict = {}
    previous = RESULTS / "latest.json"
    if args.only and previous.exists():
        # a partial run updates its own figures and keeps the others from the last run at the same scale
        earlier = json.loads(previous.read_text())
        if earlier.get("scale") == args.scale:
            results.update(earlier)
    results.update({"scale": args.scale, "repetitions": args.repeat, f"started_{args.only or 'all'}": dt.datetime.now(dt.UTC).isoformat()})

    # how busy the machine was (1-minute load average at the start and end, against its CPU count): a shared
    # machine's figures are comparable only with others measured under the same load
    results[f"load_{args.only or 'all'}"] = {"cpus": os.cpu_count(), "start": round(os.getloadavg()[0], 1)}
    print(f"preparing data at scale {args.scale:g} (cached in {DATA}) ...", flush=True)
    prep = _child("prepare", str(data), str(args.scale))
    results["rows"] = prep.get("rows")

    if args.only in (None, "oulad"):
        copy, bronze = _paired(args.repeat, "copy_student_vle", "bronze_student_vle", str(data))
        results["copy_seconds"] = copy["seconds"]
        results["bronze_seconds"] = bronze["seconds"]
        results["bronze_to_copy_ratio"] = round(bronze["seconds"]["median"] / copy["seconds"]["median"], 2)
        results["bronze_peak_rss_mb"] = bronze["peak_rss_mb"]
        slice_dir = DATA / "oulad_slice_1m"
        _child("slice", str(data), str(slice_dir), "1000000")
        results["pandas_to_sql_seconds_1m"] = _repeat(args.repeat, "pandas_student_vle", str(slice_dir))["seconds"]
        bronze_1m = _repeat(args.repeat, "bronze_student_vle", str(slice_dir))
        results["bronze_seconds_1m"] = bronze_1m["seconds"]
        results["bronze_peak_rss_mb_1m"] = bronze_1m["peak_rss_mb"]  # flatness: 10x the rows, about the same memory
        oulad_copy, oulad_e2e = _paired(args.repeat, "copy_oulad", "oulad_end_to_end", str(data))
        results["oulad_copy_seconds"] = oulad_copy["seconds"]
        results["oulad_end_to_end_seconds"] = oulad_e2e["seconds"]
        results["oulad_end_to_end_to_copy_ratio"] = round(
            oulad_e2e["seconds"]["median"] / oulad_copy["seconds"]["median"], 2
        )
        results["oulad_end_to_end_peak_rss_mb"] = oulad_e2e["peak_rss_mb"]
        results["oulad_end_to_end_phases"] = {
            key[len("phase_"):-len("_seconds")]: value["median"] for key, value in oulad_e2e.items() if key.startswith("phase_")
        }

    if args.only in (None, "dost"):
        print("preparing the Dost source database (cached) ...", flush=True)
        results["dost_rows"] = _child("dost_prepare", str(args.scale)).get("rows")
        pipe = _repeat(args.repeat, "dost_pipe_copy", str(args.scale))
        load = _repeat(args.repeat, "dost_load", str(args.scale))
        results["dost_pipe_copy_seconds"] = pipe["seconds"]
        results["dost_full_seconds"] = load["full_seconds"]
        results["dost_full_to_copy_ratio"] = round(load["full_seconds"]["median"] / pipe["seconds"]["median"], 2)
        results["dost_week_seconds"] = load["week_seconds"]
        results["dost_week_to_full_ratio"] = round(load["week_seconds"]["median"] / load["full_seconds"]["median"], 3)
        results["dost_week_rerun_seconds"] = load["week_rerun_seconds"]
        results["dost_week_rerun_to_full_ratio"] = round(
            load["week_rerun_seconds"]["median"] / load["full_seconds"]["median"], 3
        )
        results["dost_load_peak_rss_mb"] = load["peak_rss_mb"]

    if args.only in (None, "udacity"):
        from udacity import run_udacity  # bench/udacity.py: the course data's full history vs COPY

        results.update(run_udacity(args.scale, args.repeat))

    results[f"load_{args.only or 'all'}"]["end"] = round(os.getloadavg()[0], 1)

    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, default=str)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json").write_text(text)
    print(_table(results))
    print(f"\nwritten: {RESULTS / 'latest.json'}")
    print(report.text(results))
    if args.scale == 1.0:
        report.rewrite_readme(results)
        print("README benchmark table rewritten from this run")
    if missing := report.missed(results):
        print(f"\ntargets missed: {'; '.join(missing)}")
        return 1
    return 0


def _table(results: dict) -> str:
    lines = [f"{'figure':<36} {'median':>10} {'min':>10} {'max':>10}"]
    for key, value in results.items():
        if isinstance(value, dict) and "median" in value:
            lines.append(f"{key:<36} {value['median']:>10.2f} {value['min']:>10.2f} {value['max']:>10.2f}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key:<36} {value:>10}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
