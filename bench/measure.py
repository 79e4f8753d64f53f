"""One benchmark measurement per process (so peak RSS is that measurement's own). Prints JSON last."""

import csv
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("EDU_DLT_PIPELINES_DIR", tempfile.mkdtemp(prefix="bench_dlt_"))


def _bench_db():
    from edu_platform.lib.warehouse import server

    db = server().with_database(f"edu_bench_{uuid.uuid4().hex[:6]}")
    db.drop_database()
    db.ensure_database()
    os.environ["EDU_WAREHOUSE_URL"] = db.libpq_url()
    return db


def _emit(**figures):
    print(json.dumps(figures))


def prepare(folder: str, scale: str):
    from edu_platform.defs.oulad.generator import generate

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
    from edu_platform.defs.oulad.settings import FILES

    seconds = 0.0
    with db.connect() as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for stem in stems_tables:
                table, columns = FILES[stem]
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
    from edu_platform.defs.oulad.settings import FILES

    db = _bench_db()
    try:
        _emit(seconds=round(_copy_files(db, Path(folder), list(FILES)), 3))
    finally:
        db.drop_database()


def _materialize(selection):
    from dagster import DagsterInstance, materialize

    from edu_platform.definitions import defs

    start = time.perf_counter()
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=selection, resources=defs.resources,
        instance=DagsterInstance.ephemeral(), raise_on_error=True,
    )
    assert result.success
    return time.perf_counter() - start


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


def oulad_end_to_end(folder: str):
    from dagster import AssetSelection

    db = _bench_db()
    os.environ["OULAD_SOURCE"] = folder
    try:
        import edu_platform.definitions  # noqa: F401

        seconds = _materialize(AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold"))
        _emit(seconds=round(seconds, 3))
    finally:
        db.drop_database()


def dost(scale: str, repeat: str):
    from edu_platform_bench_dost import measure_dost  # provided with the Dost source

    _emit(**measure_dost(float(scale), int(repeat)))


MEASURES = {
    "prepare": prepare, "slice": slice_, "copy_student_vle": copy_student_vle, "copy_oulad": copy_oulad,
    "bronze_student_vle": bronze_student_vle, "pandas_student_vle": pandas_student_vle,
    "oulad_end_to_end": oulad_end_to_end, "dost": dost,
}

if __name__ == "__main__":
    MEASURES[sys.argv[1]](*sys.argv[2:])
