"""Shared set-up of the reliability tests: cloned databases, a Dost source, environment switching."""

import contextlib
import os
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from dagster import AssetKey, AssetSelection
from psycopg2 import sql

from edu_platform_tests.conftest import make_database
from edu_platform_tests.helpers import materialize_selection, step_errors

# A small Dost history: six weeks at twice the default density, ~20,000 calls (enough for a COPY that
# lasts long enough to be seen in pg_stat_activity), loaded as one single-run backfill over its weeks.
DOST_START, DOST_WEEKS, DOST_SCALE = "2019-12-02", 6, 2.0
DOST_RANGE = "2019-12-02...2020-01-06"
DOST_GROUPS = "dost_bronze,dost_silver,dost_gold"
OULAD_GROUPS = "oulad_bronze,oulad_silver,oulad_gold,shared_gold"
DIM_DATE = AssetSelection.assets(AssetKey(["gold", "shared", "dim_date"])).without_checks()


def clone_database(template, purpose: str):
    """A new database copied from `template` (CREATE DATABASE ... TEMPLATE: a file copy, no rebuild)."""
    db = make_database(purpose)
    db.drop_database()
    for attempt in range(50):
        try:
            with db.with_database("postgres").cursor() as cur:
                cur.execute(sql.SQL("create database {} template {}").format(sql.Identifier(db.database), sql.Identifier(template.database)))
            return db
        except psycopg2.errors.ObjectInUse:  # a session still closing on the template
            time.sleep(0.1)
    raise RuntimeError(f"template {template.database} stays in use")


@contextlib.contextmanager
def environment(**variables):
    """Set (or, with None, unset) environment variables for the block."""
    mp = pytest.MonkeyPatch()
    try:
        for name, value in variables.items():
            if value is None:
                mp.delenv(name, raising=False)
            else:
                mp.setenv(name, str(value))
        yield
    finally:
        mp.undo()


def run_env(warehouse, work: Path, **extra) -> dict:
    """The variables of one run: its warehouse and a dlt pipelines dir of its own."""
    pipelines = work / f"dlt_{uuid.uuid4().hex[:6]}"
    return {"EDU_WAREHOUSE_URL": warehouse.libpq_url(), "EDU_DLT_PIPELINES_DIR": str(pipelines), **extra}


def child_env(variables: dict) -> dict:
    return {**os.environ, **{k: str(v) for k, v in variables.items() if v is not None}}


def build_dim_date(db) -> None:
    """gold.dim_date, which the Dost and course marts join (without the other sources' tests on it)."""
    with environment(EDU_WAREHOUSE_URL=db.libpq_url()):
        result = materialize_selection(DIM_DATE)
    assert result.success, step_errors(result)


def oulad_env(db, folder, tmp_path, name) -> dict:
    """A child run's environment: OULAD files from `folder` into `db`, dlt and state dirs of its own."""
    return {
        **os.environ,
        "EDU_WAREHOUSE_URL": db.libpq_url(),
        "OULAD_SOURCE": str(folder),
        "EDU_DLT_PIPELINES_DIR": str(tmp_path / f"dlt_{name}"),
        "EDU_STATE_DIR": str(tmp_path / f"state_{name}"),
    }
