"""Dost load figures for `make bench`: the whole history in one run against one incremental week.

`measure_dost(scale, repeat)` generates a source database at `scale` (1.0: ~120,000 users, 10.6 M calls
over 208 weeks), loads the whole history as one single-run backfill (dlt -> bronze, dbt -> silver and
gold, every check), then `repeat` times appends a week to the source and materializes that weekly
partition. Everything happens in databases of its own on the warehouse server, dropped at the end.
"""

import os
import statistics
import tempfile
import time
import uuid

from edu_platform.defs.dost.generator import DEFAULT_WEEKS, append_week, generate
from edu_platform.defs.dost.settings import FIRST_MONDAY


def _materialize(selection, instance, **kwargs):
    from dagster import materialize

    from edu_platform.definitions import defs

    began = time.perf_counter()
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=selection, resources=defs.resources,
        instance=instance, raise_on_error=True, **kwargs,
    )
    assert result.success
    return time.perf_counter() - began


def measure_dost(scale: float = 1.0, repeat: int = 3, weeks: int = DEFAULT_WEEKS) -> dict:
    import datetime as dt

    from dagster import AssetKey, AssetSelection, DagsterInstance
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from edu_platform.lib.warehouse import server

    tag = uuid.uuid4().hex[:6]
    source = server().with_database(f"edu_bench_dost_source_{tag}")
    warehouse = server().with_database(f"edu_bench_dost_wh_{tag}")
    saved = {k: os.environ.get(k) for k in ("EDU_WAREHOUSE_URL", "DOST_SOURCE_URL", "EDU_DLT_PIPELINES_DIR")}
    try:
        warehouse.ensure_database()
        os.environ["EDU_WAREHOUSE_URL"] = warehouse.libpq_url()
        os.environ["DOST_SOURCE_URL"] = source.libpq_url()
        os.environ["EDU_DLT_PIPELINES_DIR"] = tempfile.mkdtemp(prefix="bench_dost_dlt_")
        began = time.perf_counter()
        rows = generate(source, scale=scale, weeks=weeks, start=FIRST_MONDAY)
        generate_seconds = time.perf_counter() - began

        instance = DagsterInstance.ephemeral()
        dost = AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold")
        _materialize(AssetSelection.assets(AssetKey(["gold", "shared", "dim_date"])).without_checks(), instance)
        first = dt.date.fromisoformat(FIRST_MONDAY)
        last = first + dt.timedelta(weeks=weeks - 1)
        history_seconds = _materialize(dost, instance, tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(), ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        })
        week_seconds, week_calls = [], []
        for i in range(repeat):
            appended = append_week(source)
            week_calls.append(appended["appended_calls"] + appended["appended_corrections"])
            week = (last + dt.timedelta(weeks=i + 1)).isoformat()
            week_seconds.append(_materialize(dost, instance, partition_key=week))
        return {
            "dost_scale": scale,
            "dost_users": rows["users"],
            "dost_calls": rows["campaign"],
            "dost_generate_seconds": round(generate_seconds, 2),
            "dost_history_seconds": round(history_seconds, 2),
            "dost_week_rows": int(statistics.median(week_calls)) if week_calls else 0,
            "dost_week_seconds": {
                "median": round(statistics.median(week_seconds), 2),
                "min": round(min(week_seconds), 2),
                "max": round(max(week_seconds), 2),
            } if week_seconds else None,
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        source.drop_database()
        warehouse.drop_database()
