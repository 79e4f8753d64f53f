"""Running real materializations in tests and reading what they did."""

import socket

from dagster import AssetKey, DagsterInstance


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def materialize_selection(selection, instance=None, partition_key=None, tags=None):
    """Execute the selected assets and their checks in-process with the real definitions and resources."""
    from dagster import materialize

    from edu_platform.definitions import defs

    return materialize(
        assets=[*defs.assets, *(defs.asset_checks or [])],
        selection=selection,
        resources=defs.resources,
        instance=instance or DagsterInstance.ephemeral(),
        partition_key=partition_key,
        tags=tags,
        raise_on_error=False,
    )


def check_results(result) -> dict[tuple[str, str], object]:
    """(asset key, check name) -> the check evaluation, for every check the run evaluated."""
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            out[(evaluation.asset_key.to_user_string(), evaluation.check_name)] = evaluation
    return out


def started_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def step_errors(result) -> list[str]:
    return [
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.event_specific_data.error
    ]


def materialized_keys(result) -> set[str]:
    return {
        e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def key(path: str) -> AssetKey:
    return AssetKey(path.split("/"))


def table_hashes(wh, schemas=("bronze", "silver", "gold")) -> dict[str, tuple[int, str]]:
    """(row count, order-independent content hash) per table, leaving out dlt's load bookkeeping
    (`_dlt_*` tables and columns differ between two loads of the same data by design)."""
    out = {}
    tables = wh.rows(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema = any(%s) and table_name not like '\\_dlt%%' and table_type = 'BASE TABLE'",
        (list(schemas),),
    )
    for schema, table in tables:
        columns = [
            c for (c,) in wh.rows(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
                " and column_name not like '\\_dlt%%' order by column_name",
                (schema, table),
            )
        ]
        row = ", ".join(f'"{c}"' for c in columns)
        count, digest = wh.rows(
            f'select count(*), md5(coalesce(string_agg(h, \'\' order by h), \'\')) from'
            f' (select md5(row({row})::text) as h from "{schema}"."{table}") t'
        )[0]
        out[f"{schema}.{table}"] = (count, digest)
    return out


def cli_environment(home, warehouse, storage, **extra) -> dict:
    """The environment of an `edu-platform` process on a warehouse and a Dagster instance of its own
    (instance home, storage, artifacts, compute logs, state and dlt dirs all under `home`)."""
    import os
    import shutil
    from pathlib import Path

    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "EDU_WAREHOUSE_URL": warehouse.libpq_url(),
        "EDU_DAGSTER_STORAGE_URL": storage.sqlalchemy_url(),
        "DAGSTER_HOME": str(home),
        "EDU_DAGSTER_ARTIFACTS_DIR": str(home / "artifacts"),
        "EDU_DAGSTER_COMPUTE_LOGS_DIR": str(home / "logs"),
        "EDU_STATE_DIR": str(home / "state"),
        "EDU_DLT_PIPELINES_DIR": str(home / "dlt"),
        **extra,
    }
