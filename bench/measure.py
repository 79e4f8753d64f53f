"""One benchmark measurement per process (so peak RSS is that measurement's own). Prints JSON last."""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("EDU_DLT_PIPELINES_DIR", tempfile.mkdtemp(prefix="bench_dlt_"))


def _bench_db(name: str = ""):
    from edu_platform.lib.warehouse import server

    db = server().with_database(f"edu_bench_{name or uuid.uuid4().hex[:6]}")
    db.drop_database()
    db.ensure_database()
    from edu_platform.lib.roles import ensure_roles

    ensure_roles(db)  # as `edu-platform setup` does: steps log in as the loader and transformer roles
    os.environ["EDU_WAREHOUSE_URL"] = db.libpq_url()
    return db


def _data_dir() -> Path:
    """bench/data, or EDU_BENCH_DATA (the scale sweep's test points it at a tmp dir)."""
    return Path(os.environ.get("EDU_BENCH_DATA") or Path(__file__).resolve().parent / "data")


def _temp_bytes(db) -> int:
    """Bytes of temporary files (sorts and hashes that spilled) the whole server wrote since its start."""
    return int(db.scalar("select coalesce(sum(temp_bytes), 0) from pg_stat_database"))


def _largest(db) -> dict:
    """The largest table (heap + TOAST) and the largest index of `db`, by bytes on disk."""
    figures = {}
    for kind, relkinds in (("table", "('r', 'm')"), ("index", "('i')")):
        row = db.rows(
            f"select n.nspname || '.' || c.relname, pg_total_relation_size(c.oid) from pg_class c"
            f" join pg_namespace n on n.oid = c.relnamespace where c.relkind in {relkinds}"
            f" and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 2 desc limit 1")
        figures[f"largest_{kind}"] = row[0][0] if row else None
        figures[f"largest_{kind}_mb"] = round(row[0][1] / 2**20, 1) if row else 0.0
    return figures


def _set_up_dbt():
    """What `edu-platform setup` does once for a warehouse (not timed): dbt parses the project with that
    warehouse's connection, so each run's dbt parses partially, as it does for a user."""
    target = str(_data_dir() / "dbt_target")
    os.environ["EDU_DBT_TARGET_PATH"] = target
    os.environ["DBT_TARGET_PATH"] = target  # where dagster-dbt looks for the partial-parse file
    from edu_platform.lib.dbt import prepare_manifest
    from edu_platform.lib.environment import export_environment

    export_environment()
    prepare_manifest()


def _emit(**figures):
    print(json.dumps(figures))


def prepare(folder: str, scale: str):
    from edu_platform.synthetic.oulad import generate

    path = Path(folder)
    marker = path / ".complete.json"
    if marker.exists():
        return _emit(rows=json.loads(marker.read_text()))
    counts = generate(path, scale=float(scale))
    marker.write_text(json.dumps(counts))
    _emit(rows=counts)


def slice_(folder: str, out: str, rows: str):
    """The first N studentVle rows, for the pandas baseline."""
    src, dst = Path(folder) / "studentVle.csv", Path(out)
    dst.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as f, open(dst / "studentVle.csv", "wb") as g:
        for i, line in enumerate(f):
            if i > int(rows):
                break
            g.write(line)
    _emit(rows=int(rows))


def _copy_files(db, folder: Path, stems_tables):
    from edu_platform.defs.oulad.tables import FILES

    seconds = 0.0
    with db.connect() as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for stem in stems_tables:
                table, columns = FILES[stem].name, FILES[stem].columns
                cur.execute(f"create unlogged table if not exists copy_{table} ({', '.join(c + ' text' for c in columns)})")
                start = time.perf_counter()
                with open(folder / f"{stem}.csv", "rb") as f:
                    cur.copy_expert(f"copy copy_{table} from stdin with (format csv, header)", f, size=1 << 20)
                seconds += time.perf_counter() - start
    return seconds


def copy_student_vle(folder: str):
    db = _bench_db()
    try:
        _emit(seconds=round(_copy_files(db, Path(folder), ["studentVle"]), 3))
    finally:
        db.drop_database()


def copy_oulad(folder: str):
    from edu_platform.defs.oulad.tables import FILES

    db = _bench_db()
    try:
        _emit(seconds=round(_copy_files(db, Path(folder), list(FILES)), 3))
    finally:
        db.drop_database()


def _materialize(selection=None, phases: dict | None = None, job: str | None = None):
    """Seconds to materialize `selection`, or to run the platform's job `job` as a schedule would; with `phases`,
    fills in where they went (see _phases)."""
    from dagster import DagsterInstance, materialize

    from edu_platform.definitions import defs

    instance = DagsterInstance.ephemeral()
    start = time.perf_counter()
    if job:
        result = defs.get_job_def(job).execute_in_process(instance=instance, raise_on_error=True)
    else:
        result = materialize(
            [*defs.assets, *(defs.asset_checks or [])], selection=selection, resources=defs.resources,
            instance=instance, raise_on_error=True,
        )
    assert result.success
    seconds = time.perf_counter() - start
    if phases is not None:
        phases.update(_phases(instance, result.run_id))
    return seconds


def _union(intervals) -> float:
    """Wall-clock seconds covered by (start, end) intervals that may overlap."""
    total, reach = 0.0, float("-inf")
    for begin, end in sorted(intervals):
        if end > reach:
            total += end - max(begin, reach)
            reach = end
    return total


def _phases(instance, run_id: str) -> dict:
    """Where a run's time went: each Dagster step's wall time (steps run one after another in process), the
    dlt step as `bronze`, the bronze check steps as `bronze_checks`, and inside the dbt step the wall time its
    silver models, gold models and tests kept busy (dbt runs 4 threads, so these may overlap) from the
    run_results.json of that dbt invocation."""
    from datetime import datetime

    from dagster import DagsterEventType

    begun, steps = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            begun[event.step_key] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = entry.timestamp - begun[event.step_key]
    dbt_steps = [k for k in steps if k.endswith("_dbt")]
    figures = {
        "bronze": sum(v for k, v in steps.items() if k.endswith("_bronze")),
        "bronze_checks": sum(v for k, v in steps.items() if not k.endswith(("_bronze", "_dbt"))),
        "dbt": sum(steps[k] for k in dbt_steps),
    }
    target = Path(os.environ.get("DBT_TARGET_PATH", "."))
    busy: dict[str, list] = {"silver": [], "gold": [], "dbt_tests": []}
    for results_file in target.glob(f"*-{run_id[:7]}-*/run_results.json"):
        manifest = json.loads((results_file.parent / "manifest.json").read_text())["nodes"]
        for node in json.loads(results_file.read_text())["results"]:
            timing = {t["name"]: t for t in node.get("timing", [])}
            if "execute" not in timing or not timing["execute"].get("started_at"):
                continue
            span = tuple(datetime.fromisoformat(timing["execute"][k].replace("Z", "+00:00")).timestamp()
                         for k in ("started_at", "completed_at"))
            props = manifest.get(node["unique_id"], {})
            if props.get("resource_type") == "test":
                busy["dbt_tests"].append(span)
            else:
                busy["silver" if "silver" in props.get("fqn", []) else "gold"].append(span)
            print(f"{node['unique_id']} {node['execution_time']:.2f}", file=sys.stderr)
    figures.update({phase: _union(spans) for phase, spans in busy.items()})
    return {f"phase_{k}_seconds": round(v, 2) for k, v in figures.items()}


def bronze_student_vle(folder: str):
    from dagster import AssetKey, AssetSelection

    db = _bench_db()
    os.environ["OULAD_SOURCE"] = folder
    try:
        import edu_platform.definitions  # noqa: F401  (imports are not the load)

        seconds = _materialize(AssetSelection.assets(AssetKey(["bronze", "oulad", "student_vle"])).without_checks())
        rows = db.scalar("select count(*) from bronze.oulad_student_vle")
        _emit(seconds=round(seconds, 3), rows=rows)
    finally:
        db.drop_database()


def pandas_student_vle(folder: str):
    """The usual hand-rolled loader: read_csv + to_sql."""
    import pandas as pd
    from sqlalchemy import create_engine

    db = _bench_db()
    try:
        engine = create_engine(db.sqlalchemy_url())
        start = time.perf_counter()
        frame = pd.read_csv(Path(folder) / "studentVle.csv", dtype=str, keep_default_na=False)
        frame.to_sql("pandas_student_vle", engine, schema="public", if_exists="replace", index=False, chunksize=50_000)
        seconds = time.perf_counter() - start
        engine.dispose()
        _emit(seconds=round(seconds, 3))
    finally:
        db.drop_database()


def shared_calendar():
    """The shared calendar, gold.dim_date, as its own job builds it (in the warehouse of EDU_WAREHOUSE_URL)."""
    _materialize(job="shared_calendar_job")


def oulad_end_to_end(folder: str):
    db = _bench_db("oulad_e2e")  # one name, as a user's warehouse keeps its name between runs
    os.environ["OULAD_SOURCE"] = folder
    _set_up_dbt()
    try:
        # the shared calendar OULAD's gold joins on is built by its own job, before the sources' monthly runs
        # (defs/shared/schedules.py): built first, in a process of its own (this one stays as cold as a run worker
        # is), and not timed; what is timed is OULAD's monthly job
        subprocess.run([sys.executable, __file__, "shared_calendar"], check=True, stdout=subprocess.DEVNULL)
        import edu_platform.definitions  # noqa: F401

        phases: dict = {}
        temp_before = _temp_bytes(db)
        seconds = _materialize(phases=phases, job="oulad_monthly_job")
        _emit(seconds=round(seconds, 3), **phases, temp_mb=round((_temp_bytes(db) - temp_before) / 2**20, 1), **_largest(db))
    finally:
        db.drop_database()


DOST_TABLES = ("users", "experience", "programseq", "content", "campaign")


def _dost_source(scale: float):
    """The synthetic Dost source at `scale`, generated once and kept on the benchmark server (or on the server of
    EDU_BENCH_SOURCE_URL: the scale sweep keeps it on the embedded one while it measures a throw-away server)."""
    from edu_platform.synthetic.dost import counts, generate, source_exists
    from edu_platform.lib.warehouse import Warehouse, server

    base = Warehouse.from_url(os.environ["EDU_BENCH_SOURCE_URL"]) if os.environ.get("EDU_BENCH_SOURCE_URL") else server()
    db = base.with_database(f"edu_bench_dost_{str(scale).replace('.', '_')}")
    if not source_exists(db):
        generate(db, scale=scale)
    return db, counts(db)


def dost_prepare(scale: str):
    source, counts = _dost_source(float(scale))
    _emit(rows=counts, url=source.with_database("postgres").libpq_url())


def dost_pipe_copy(scale: str):
    """The floor: COPY (SELECT ...) TO STDOUT piped straight into COPY ... FROM STDIN, table by table."""
    import threading

    source, _ = _dost_source(float(scale))
    db = _bench_db()
    try:
        start = time.perf_counter()
        with source.connect() as src, db.connect() as dst:
            src.autocommit = dst.autocommit = True
            for table in DOST_TABLES:
                with src.cursor() as s_cur, dst.cursor() as d_cur:
                    # same columns, no constraints
                    s_cur.execute(
                        "select string_agg(quote_ident(column_name) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by ordinal_position)"
                        " from information_schema.columns c join pg_attribute a on a.attrelid = c.table_name::regclass and a.attname = c.column_name"
                        " where c.table_schema = 'public' and c.table_name = %s", (table,))
                    d_cur.execute(f"create table copy_{table} ({s_cur.fetchone()[0]})")
                    read_fd, write_fd = os.pipe()
                    reader, writer = os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")

                    def produce():
                        try:
                            s_cur.copy_expert(f"copy (select * from {table}) to stdout", writer, size=1 << 20)
                        finally:
                            writer.close()

                    thread = threading.Thread(target=produce)
                    thread.start()
                    d_cur.copy_expert(f"copy copy_{table} from stdin", reader, size=1 << 20)
                    thread.join()
                    reader.close()
        _emit(seconds=round(time.perf_counter() - start, 3))
    finally:
        db.drop_database()


def _dost_materialize(db_env_source, first: str, last: str):
    from dagster import AssetSelection, DagsterInstance, materialize
    from edu_platform.lib.partitions import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from edu_platform.definitions import defs

    start = time.perf_counter()
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=AssetSelection.groups("dost_bronze").without_checks(),
        resources=defs.resources, instance=DagsterInstance.ephemeral(),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}, raise_on_error=True,
    )
    assert result.success
    return time.perf_counter() - start


def dost_load(scale: str):
    """Full history into bronze in one run (single-run backfill over every week), then a re-run of the last week
    (every one of its rows already loaded: all deleted and inserted again). On a second database, the scheduled
    case: the history up to the week before (not timed), then the last week arriving new on top of it."""
    from edu_platform.defs.dost.assets import dost_weekly_partitions

    source, counts = _dost_source(float(scale))
    os.environ["DOST_SOURCE_URL"] = source.libpq_url()
    keys = dost_weekly_partitions.get_partition_keys()
    last_week = max(k for k in keys if k < counts["as_of"])
    week_before = keys[keys.index(last_week) - 1]
    db = _bench_db("dost_full")
    try:
        temp_before = _temp_bytes(db)
        full = _dost_materialize(source, keys[0], keys[-1])
        temp_mb = round((_temp_bytes(db) - temp_before) / 2**20, 1)
        rows = db.scalar("select count(*) from bronze.dost_campaign")
        largest = _largest(db)
        rerun = _dost_materialize(source, last_week, last_week)
    finally:
        db.drop_database()
    db = _bench_db("dost_weekly")
    try:
        _dost_materialize(source, keys[0], week_before)
        temp_before = _temp_bytes(db)
        week = _dost_materialize(source, last_week, last_week)
        week_temp_mb = round((_temp_bytes(db) - temp_before) / 2**20, 1)
    finally:
        db.drop_database()
    _emit(full_seconds=round(full, 3), week_seconds=round(week, 3), week_rerun_seconds=round(rerun, 3), campaign_rows=rows,
          temp_mb=temp_mb, week_temp_mb=week_temp_mb, **largest)


MEASURES = {
    "prepare": prepare, "slice": slice_, "copy_student_vle": copy_student_vle, "copy_oulad": copy_oulad,
    "bronze_student_vle": bronze_student_vle, "pandas_student_vle": pandas_student_vle,
    "oulad_end_to_end": oulad_end_to_end, "shared_calendar": shared_calendar, "dost_prepare": dost_prepare, "dost_pipe_copy": dost_pipe_copy,
    "dost_load": dost_load,
}

if __name__ == "__main__":
    MEASURES[sys.argv[1]](*sys.argv[2:])
