"""Course-data benchmark: the full synthetic history (24 months x 3 nanodegrees) against a raw COPY of the
same fact files.

- `udacity_copy_seconds`: every landed fact file `COPY ... FROM STDIN` into a plain text table (the floor);
- `udacity_full_history_seconds`: the fact assets (bronze, silver, gold, marts and every check) over every
  (month, nanodegree) partition, as the platform's catch-up submits them (`range_runs`: one run per
  rectangle of months x nanodegrees); the dimension files are loaded first, untimed;
- `udacity_per_partition_seconds` (with `--per-partition`): the same, one run per partition.

Each measurement runs in a fresh interpreter (`python bench/udacity.py MEASURE ...`) and prints JSON last.
`bench/run.py --only udacity` calls `run_udacity`.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/data, or EDU_BENCH_DATA (the benchmark's test points it at a tmp dir)
DATA = Path(os.environ.get("EDU_BENCH_DATA") or ROOT / "bench" / "data")
FIRST_MONTH = "2024-11"


def _emit(**figures):
    print(json.dumps(figures), flush=True)


def _bench_db(name: str):
    """A fresh warehouse `edu_bench_<name>`, set up as bench/measure.py sets up its own (roles included)."""
    from measure import _bench_db as bench_db  # bench/measure.py; imported here, in the measuring process

    return bench_db(name)


def prepare(folder: str, scale: str):
    """The synthetic landing at `scale` (generated once, cached in bench/data)."""
    from edu_platform.synthetic.udacity import generate

    path = Path(folder)
    marker = path / ".complete.json"
    if marker.exists():
        return _emit(rows=json.loads(marker.read_text()))
    counts = generate(path, scale=float(scale))
    marker.write_text(json.dumps(counts))
    _emit(rows=counts)


def _fact_files(folder: Path):
    from edu_platform.defs.udacity.tables import FACT_FILES

    for stem in FACT_FILES:
        for path in sorted(folder.glob(f"*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/{stem}.csv")):
            yield stem, path


def _copy_fact_files(cur, folder: Path) -> tuple[float, int]:
    """Each fact file COPYed as is into an unlogged text table of its kind: (seconds in COPY, files)."""
    from edu_platform.defs.udacity.tables import FACT_FILES

    for stem, table in FACT_FILES.items():
        cur.execute(f"create unlogged table copy_{stem} ({', '.join(c + ' text' for c in table.columns)})")
    seconds, files = 0.0, 0
    for stem, path in _fact_files(folder):
        start = time.perf_counter()
        with open(path, "rb") as f:
            cur.copy_expert(f"copy copy_{stem} from stdin with (format csv, header)", f, size=1 << 20)
        seconds += time.perf_counter() - start
        files += 1
    return seconds, files


def copy(folder: str):
    """The ratio's denominator: every fact file COPYed as is."""
    db = _bench_db("udacity_copy")
    try:
        with db.connect() as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                seconds, files = _copy_fact_files(cur, Path(folder))
        _emit(seconds=round(seconds, 3), files=files)
    finally:
        db.drop_database()


def floor(folder: str):
    """What any implementation has to do for the course gold, in plain SQL on the COPYed files (no dlt, dbt or
    Dagster): every fact file COPYed (the COPY figure), then the video log typed and one row kept per event_id
    (one sort of every event), then the learning sessions (one sort of every event by learner and time, one window
    pass, one grouping). Sorted bytewise (`collate "C"`), with memory and parallel workers to spare, so it is the
    cheapest form of that work found. The platform does more (a second fact, tests, marts); this is the floor under
    it, to compare its target with."""
    db = _bench_db("udacity_floor")
    figures = {}
    try:
        with db.connect() as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                figures["copy_seconds"] = _copy_fact_files(cur, Path(folder))[0]
                cur.execute("set work_mem = '1GB'; set parallel_setup_cost = 0; set parallel_tuple_cost = 0")
                start = time.perf_counter()
                cur.execute(
                    "create unlogged table events as select distinct on (event_id) event_id collate \"C\" as event_id,"
                    " user_id collate \"C\" as user_id, video_id,"
                    " event_ts::timestamptz as event_ts, lower(event_type) as event_type,"
                    " coalesce(nullif(seconds_watched, '')::int, 0) as seconds_watched"
                    " from copy_video_log where event_id <> '' order by event_id collate \"C\", event_ts")
                figures["dedup_seconds"] = time.perf_counter() - start
                start = time.perf_counter()
                cur.execute(
                    "create unlogged table sessions as select user_id, session_number, min(event_ts) as session_start,"
                    " max(event_ts) as session_end, count(*) as events from ("
                    "  select user_id, event_ts, sum(starts) over (partition by user_id order by event_ts rows unbounded preceding)"
                    "   as session_number from ("
                    "    select user_id, event_ts, case when event_ts - lag(event_ts) over (partition by user_id order by event_ts)"
                    "     <= interval '15 minutes' then 0 else 1 end as starts from events) flagged) numbered"
                    " group by user_id, session_number")
                figures["sessions_seconds"] = time.perf_counter() - start
                cur.execute("select count(*) from events")
                figures["events"] = cur.fetchone()[0]
        total = figures["copy_seconds"] + figures["dedup_seconds"] + figures["sessions_seconds"]
        _emit(**{k: round(v, 3) for k, v in figures.items()}, floor_seconds=round(total, 3),
              floor_to_copy_ratio=round(total / figures["copy_seconds"], 2))
    finally:
        db.drop_database()


def _prepare_platform(folder: str, name: str):
    """A warehouse with the dimensions and dim_date loaded (untimed), the nanodegrees registered."""
    from dagster import AssetSelection, DagsterInstance, materialize

    os.environ["UDACITY_SOURCE"] = folder
    os.environ["UDACITY_START_MONTH"] = FIRST_MONTH
    os.environ.setdefault("EDU_DLT_PIPELINES_DIR", tempfile.mkdtemp(prefix="bench_dlt_"))
    db = _bench_db(name)
    target = str(DATA / f"dbt_target_{name}")
    os.environ["EDU_DBT_TARGET_PATH"] = os.environ["DBT_TARGET_PATH"] = target
    from edu_platform.lib.dbt import prepare_manifest
    from edu_platform.lib.environment import export_environment

    export_environment()
    prepare_manifest()
    from edu_platform.defs.udacity.landing import register_partitions
    from edu_platform.definitions import defs

    instance = DagsterInstance.ephemeral()
    register_partitions(instance)
    from edu_platform.lib.dbt import dbt_resource

    dbt_resource().cli(["run", "--select", "dim_date"]).wait()  # a deployment has it from the shared dimensions
    selection = AssetSelection.groups("udacity_bronze", "udacity_silver", "udacity_gold")
    graph = defs.resolve_asset_graph()
    dims = [k for k in selection.resolve(graph) if graph.get(k).partitions_def is None]
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=AssetSelection.assets(*dims), resources=defs.resources,
        instance=instance, raise_on_error=True,
    )
    assert result.success
    facts = [k for k in selection.resolve(graph) if graph.get(k).partitions_def is not None]
    return db, instance, defs, AssetSelection.assets(*facts)


def backfill(folder: str, mode: str = "range", limit: str = "0"):
    """Every landed fact partition (or the first `limit` of them, month by month): `range` = the catch-up's
    range runs, `partition` = one run each."""
    from dagster import materialize

    db, instance, defs, facts = _prepare_platform(folder, f"udacity_{mode}")
    try:
        from edu_platform.defs.udacity.assets import UDACITY_PARTITIONS

        keys = [
            k for k in UDACITY_PARTITIONS.get_partition_keys(dynamic_partitions_store=instance)
            if (Path(folder) / k.keys_by_dimension["nanodegree"] / k.keys_by_dimension["month"][:4] / k.keys_by_dimension["month"][5:7]).is_dir()
        ]
        keys = keys[: int(limit)] if int(limit) else keys
        if mode == "range":
            from edu_platform.lib.partitions import range_run_tags

            runs = [{"tags": tags} for tags in range_run_tags(UDACITY_PARTITIONS, keys, instance)]
        else:
            runs = [{"partition_key": str(k)} for k in keys]
        assets = [*defs.assets, *(defs.asset_checks or [])]
        start = time.perf_counter()
        for i, run in enumerate(runs, 1):
            began = time.perf_counter()
            result = materialize(assets, selection=facts, resources=defs.resources, instance=instance, raise_on_error=True, **run)
            assert result.success
            print(f"run {i}/{len(runs)} {run}: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
        seconds = time.perf_counter() - start
        rows = db.scalar("select count(*) from silver.stg_udacity__video_log")
        _emit(seconds=round(seconds, 3), runs=len(runs), partitions=len(keys), video_log_rows=rows)
    finally:
        db.drop_database()


def _child(measure: str, *args: str) -> dict:
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(
            [sys.executable, __file__, measure, *args], stdout=out, env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"measurement {measure} failed (see its output above)")
        out.seek(0)
        figures = json.loads(out.read().strip().splitlines()[-1])
    figures.setdefault("peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
    return figures


def _repeat(n: int, measure: str, *args: str) -> dict:
    runs = [_child(measure, *args) for _ in range(n)]
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: {"median": statistics.median(r[k] for r in runs), "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)} for k in keys}


def run_udacity(scale: float, repeat: int, per_partition: bool = False) -> dict:
    """The course-data figures for bench/run.py."""
    os.environ.setdefault("EDU_STATE_DIR", str(DATA / "state"))
    folder = str(DATA / f"udacity_{scale:g}")
    print(f"preparing course files at scale {scale:g} (cached in {folder}) ...", flush=True)
    results = {"udacity_rows": _child("prepare", folder, str(scale)).get("rows")}
    copy_ = _repeat(repeat, "copy", folder)
    full = _repeat(repeat, "backfill", folder, "range")
    results["udacity_copy_seconds"] = copy_["seconds"]
    results["udacity_full_history_seconds"] = full["seconds"]
    results["udacity_full_history_runs"] = full["runs"]["median"]
    results["udacity_backfill_to_copy_ratio"] = round(full["seconds"]["median"] / copy_["seconds"]["median"], 2)
    results["udacity_full_history_peak_rss_mb"] = full["peak_rss_mb"]
    floor_ = _child("floor", folder)  # once: what plain SQL needs at the least, beside the target
    results["udacity_floor"] = {k: floor_[k] for k in ("copy_seconds", "dedup_seconds", "sessions_seconds", "floor_seconds")}
    results["udacity_floor_to_copy_ratio"] = floor_["floor_to_copy_ratio"]
    if per_partition:
        results["udacity_per_partition_seconds"] = _child("backfill", folder, "partition")["seconds"]
    return results


MEASURES = {"prepare": prepare, "copy": copy, "floor": floor, "backfill": backfill}

if __name__ == "__main__":
    MEASURES[sys.argv[1]](*sys.argv[2:])
