"""The test suite's shared helpers, one of each: the session's databases, environment switching, partition
ranges, running real materializations and reading what they did, table hashes, and `edu-platform` processes.

`conftest.py` holds fixtures and hooks only; tests import from here.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("edu-platform"))

# ------------------------------------------------------------------------------- the session's databases

SESSION_ID = uuid.uuid4().hex[:8]
# made by `start_session`, not at import: child processes that import these helpers leave no folder behind
SESSION_DIR = Path(tempfile.gettempdir()) / f"edu_test_{SESSION_ID}"
# The fast tier runs without PostgreSQL: its warehouse URL points where nothing listens (port 9, discard), so a
# test of that tier that tried to connect would fail instead of silently starting a server.
NO_SERVER_URL = "postgresql://edu_fast_tier:no-server@127.0.0.1:9/edu_fast_tier"
_session = {"server": None, "created": []}


def start_session(with_server: bool):
    """Point the platform at the session's own databases and local state (a tmp dir); with `with_server`, on
    a real PostgreSQL (EDU_WAREHOUSE_URL or the embedded server), else at `NO_SERVER_URL`. Returns the
    session's warehouse (None without a server). Runs before any test module imports the platform."""
    server_url = os.environ.get("EDU_WAREHOUSE_URL")
    SESSION_DIR.mkdir(mode=0o700)
    os.environ["EDU_DLT_PIPELINES_DIR"] = str(SESSION_DIR / "dlt")
    os.environ["EDU_DBT_TARGET_PATH"] = str(SESSION_DIR / "dbt_target")
    os.environ["EDU_STATE_DIR"] = str(SESSION_DIR / "state")
    os.environ.setdefault("EDU_PII_SALT", "test-salt")
    # the session's databases are made here, not by `edu-platform setup`: steps log in as the URL's user unless a
    # test creates the roles and turns this on (platform/test_roles_in_use.py)
    os.environ["EDU_RUN_AS_ROLES"] = "0"
    for variable in ("OULAD_SOURCE", "DOST_SOURCE_URL", "UDACITY_SOURCE", "EDU_ALERT_WEBHOOK_URL", "EDU_ALERT_SMTP_HOST"):
        os.environ.pop(variable, None)

    from edu_platform.lib import warehouse

    if not with_server:
        if (manifest := _current_project_manifest()) is not None:  # no dbt run in this tier: reuse set-up's parse
            os.environ["EDU_DBT_TARGET_PATH"] = str(manifest.parent)
        wh = warehouse.Warehouse.from_url(NO_SERVER_URL)
        os.environ["EDU_WAREHOUSE_URL"] = NO_SERVER_URL
        os.environ["EDU_DAGSTER_STORAGE_URL"] = wh.sqlalchemy_url()
        os.environ.update(wh.dbt_env())
        return None
    _session["server"] = warehouse.Warehouse.from_url(server_url).with_database("postgres") if server_url else warehouse.server()
    if not server_url:  # xdist workers inherit the controller's EDU_WAREHOUSE_URL, and this mark with it
        os.environ["EDU_TEST_ON_EMBEDDED_SERVER"] = "1"
    wh = make_database("wh")
    os.environ["EDU_WAREHOUSE_URL"] = wh.libpq_url()
    # the manifest is parsed for the session's warehouse (relation names carry the database: dagster-dbt counts
    # rows and reads columns by them), as `edu-platform setup` parses it for the configured one
    os.environ.update(wh.dbt_env())
    return wh


def manifest_reused() -> bool:
    """True when the session reads set-up's dbt manifest (the fast tier) instead of preparing its own."""
    return os.environ.get("EDU_DBT_TARGET_PATH") != str(SESSION_DIR / "dbt_target")


def _current_project_manifest() -> Path | None:
    """dbt/target/manifest.json if it is newer than every dbt source file (the Makefile's rule for re-parsing)."""
    dbt = ROOT / "dbt"
    manifest = dbt / "target" / "manifest.json"
    if not manifest.exists():
        return None
    sources = [p for d in ("models", "macros", "tests") for p in (dbt / d).rglob("*") if p.is_file()]
    sources += [p for p in (dbt / "dbt_project.yml", dbt / "profiles.yml") if p.exists()]
    return manifest if all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources) else None


def make_database(purpose: str):
    """A fresh database on the test server, dropped when the session ends."""
    if _session["server"] is None:
        raise RuntimeError(f"no PostgreSQL in this session (the fast tier): a test needing database {purpose!r} is not fast")
    db = _session["server"].with_database(f"edu_test_{SESSION_ID}_{purpose}")
    db.drop_database()
    db.ensure_database()
    _session["created"].append(db)
    return db


def drop_database(db) -> None:
    db.drop_database()
    if db in _session["created"]:
        _session["created"].remove(db)


def empty_schemas(db, schemas=("bronze", "silver", "gold")) -> None:
    """Drop the data schemas (and dlt's state in bronze) of a database shared by several modules of a worker, for
    a module whose assertions need a first load into empty tables."""
    with db.cursor() as cur:
        cur.execute("drop schema if exists " + ", ".join(schemas) + " cascade")


def clone_database(template, purpose: str):
    """A new database copied from `template` (CREATE DATABASE ... TEMPLATE: a file copy, no rebuild)."""
    import psycopg2
    from psycopg2 import sql

    db = make_database(purpose)
    db.drop_database()
    for _ in range(50):
        try:
            with db.with_database("postgres").cursor() as cur:
                cur.execute(sql.SQL("create database {} template {}").format(sql.Identifier(db.database), sql.Identifier(template.database)))
            return db
        except psycopg2.errors.ObjectInUse:  # a session still closing on the template
            time.sleep(0.1)
    raise RuntimeError(f"template {template.database} stays in use")


def end_session() -> None:
    for db in _session["created"]:
        try:
            db.drop_database()
        except Exception:  # the server may already be gone; nothing to keep
            pass
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


# ------------------------------------------------------------------------------------------ environment

@contextlib.contextmanager
def environment(**variables):
    """Set (or, with None, unset) environment variables for the block: pytest's monkeypatch, undone on exit.
    Fixtures use `monkeypatch` (a test) or `module_monkeypatch` (a module); this is for a block inside one."""
    with pytest.MonkeyPatch.context() as mp:
        set_environment(mp, **variables)
        yield mp


def set_environment(mp, **variables) -> None:
    for name, value in variables.items():
        if value is None:
            mp.delenv(name, raising=False)
        else:
            mp.setenv(name, str(value))


def run_environment(warehouse, work: Path, **extra) -> dict:
    """The variables of one run: its warehouse and a dlt pipelines dir of its own."""
    return {"EDU_WAREHOUSE_URL": warehouse.libpq_url(), "EDU_DLT_PIPELINES_DIR": str(work / f"dlt_{uuid.uuid4().hex[:6]}"), **extra}


# ------------------------------------------------------------------------------------- partition ranges

def partition_args(partition: str | None) -> dict:
    """`materialize` arguments for a partition key, or a range `FIRST...LAST` run as one run (the
    `dagster/asset_partition_range_start/end` tags, as a single-run backfill sets them)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    if not partition:
        return {}
    if "..." in partition:
        first, last = partition.split("...", 1)
        return {"tags": {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}}
    return {"partition_key": partition}


# ------------------------------------------------------------------------------ running materializations

def materialize_selection(selection, instance=None, partition_key=None, tags=None, partition=None):
    """Execute the selected assets and their checks in-process with the real definitions and resources
    (`partition`: a key or a range `FIRST...LAST`, see `partition_args`)."""
    from dagster import materialize

    from edu_platform.definitions import defs

    args = partition_args(partition)
    return materialize(
        assets=[*defs.assets, *(defs.asset_checks or [])],
        selection=selection,
        resources=defs.resources,
        instance=instance or DagsterInstance.ephemeral(),
        partition_key=args.get("partition_key", partition_key),
        tags={**(tags or {}), **args.get("tags", {})} or None,
        raise_on_error=False,
    )


def dim_date_selection():
    """gold.dim_date alone, without its checks: by indirect selection dbt would also run every other source's
    relationship tests to it, on tables a single source's database lacks."""
    return AssetSelection.assets(AssetKey(["gold", "shared", "dim_date"])).without_checks()


def build_dim_date(db=None, instance=None) -> None:
    """gold.dim_date (the conformed calendar the Dost and course marts join) in `db` (default: the current
    EDU_WAREHOUSE_URL)."""
    with environment(EDU_WAREHOUSE_URL=db.libpq_url() if db is not None else os.environ["EDU_WAREHOUSE_URL"]):
        result = materialize_selection(dim_date_selection(), instance=instance)
    assert result.success, step_errors(result)


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


def failure(result) -> str:
    """The step errors of a run that must have failed."""
    assert not result.success, "the run succeeded"
    errors = step_errors(result)
    assert errors, "the run failed without a step error"
    return "\n".join(errors)


def materialized_keys(result) -> set[str]:
    return {
        e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def key(path: str) -> AssetKey:
    return AssetKey(path.split("/"))


# ------------------------------------------------------------------------------------------ table hashes

def table_hash(wh, relation: str, where: str = "") -> tuple[int, str]:
    """(row count, order-independent content hash) of `schema.table` (optionally of the rows `where` selects),
    leaving out dlt's load bookkeeping columns (`_dlt_*` differ between two loads of the same data by design)."""
    schema, table = relation.split(".", 1)
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
        f' (select md5(row({row})::text) as h from "{schema}"."{table}" {where}) t'
    )[0]
    return count, digest


def table_hashes(wh, schemas=("bronze", "silver", "gold")) -> dict[str, tuple[int, str]]:
    """`table_hash` of every table of `schemas` but dlt's own (`_dlt_*`), by `schema.table`."""
    tables = wh.rows(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema = any(%s) and table_name not like '\\_dlt%%' and table_type = 'BASE TABLE'",
        (list(schemas),),
    )
    return {f"{schema}.{table}": table_hash(wh, f"{schema}.{table}") for schema, table in tables}


# ------------------------------------------------------------------------------ edu-platform processes

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_environment(home, warehouse, storage, **extra) -> dict:
    """The environment of an `edu-platform` process on a warehouse and a Dagster instance of its own
    (instance home, storage, artifacts, compute logs, state and dlt dirs all under `home`)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
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


def cli_environment_at(tmp_path: Path, now: str, **extra) -> dict:
    """`cli_environment` on new databases of its own, with the platform clock at `now` (EDU_NOW)."""
    tag = uuid.uuid4().hex[:6]
    warehouse, storage = make_database(f"cli_wh_{tag}"), make_database(f"cli_dagster_{tag}")
    return cli_environment(tmp_path / "dagster_home", warehouse, storage, EDU_NOW=now,
                           EDU_DLT_PIPELINES_DIR=str(tmp_path / "dlt"), EDU_STATE_DIR=str(tmp_path / "state"), **extra)


def run_cli(env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`edu-platform ARGS` in a child process with `env`, its output captured."""
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def run_dbt(wh, *args: str) -> None:
    """dbt itself (no Dagster) against `wh`, e.g. for gold.dim_date in a test of one source's models."""
    from edu_platform.lib.dbt import dbt_resource, invoke_dbt

    with environment(**wh.dbt_env()):
        with invoke_dbt(dbt_resource(), list(args), wh.dbt_env()) as invocation:
            invocation.wait()


def last_cause(message: str) -> str:
    """The exception lines of a Dagster step error, outermost first, without stack frames."""
    import re

    lines = [l for l in message.splitlines() if re.match(r"^[\w.]+(Error|Exception|Failed)\b.*: ", l)]
    return " | ".join(dict.fromkeys(lines)) or message[-300:]
