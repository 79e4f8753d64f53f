"""Least privilege in use: during a real OULAD run (dlt load, bronze checks, dbt build) every session on the
warehouse is the step's role, watched in pg_stat_activity; afterwards each role is held to its layer."""

import threading

import psycopg2
import pytest
from dagster import AssetSelection

from edu_platform.synthetic.oulad import generate
from edu_platform.lib.roles import BI_READER, LOADER, TRANSFORMER, ensure_roles, login_as
from edu_platform.lib.warehouse import warehouse_as
from edu_platform_tests.helpers import make_database, materialize_selection, step_errors

OULAD = AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold")


class SessionWatcher(threading.Thread):
    """Polls pg_stat_activity for the database's sessions (but its own) until stopped."""

    def __init__(self, wh):
        super().__init__(daemon=True)
        self.wh, self.seen, self.stop = wh, set(), threading.Event()

    def run(self):
        conn = self.wh.with_database("postgres").connect()
        try:
            with conn.cursor() as cur:
                while not self.stop.is_set():
                    cur.execute(
                        "select usename, coalesce(application_name, '') from pg_stat_activity"
                        " where datname = %s and backend_type = 'client backend' and pid <> pg_backend_pid()",
                        (self.wh.database,),
                    )
                    self.seen.update(cur.fetchall())
                    self.stop.wait(0.02)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def run_as_roles(tmp_path_factory, module_monkeypatch):
    wh = make_database("roles_in_use")
    ensure_roles(wh)  # what `edu-platform setup` does, as the admin
    folder = tmp_path_factory.mktemp("oulad_roles")
    generate(folder, scale=0.002)
    mp = module_monkeypatch
    mp.setenv("EDU_WAREHOUSE_URL", wh.libpq_url())
    mp.setenv("EDU_RUN_AS_ROLES", "1")
    mp.setenv("OULAD_SOURCE", str(folder))
    mp.setenv("EDU_DLT_PIPELINES_DIR", str(tmp_path_factory.mktemp("dlt_roles")))
    watcher = SessionWatcher(wh)
    watcher.start()
    try:
        result = materialize_selection(OULAD)
    finally:
        watcher.stop.set()
        watcher.join()
    return wh, result, watcher.seen


def test_each_step_connects_as_its_role(run_as_roles):
    wh, result, seen = run_as_roles
    assert result.success, step_errors(result)
    users = {user for user, _ in seen}
    apps = {app: {u for u, a in seen if a == app} for _, app in seen}
    assert apps.get("edu_dlt") == {LOADER}, seen  # dlt's load sessions
    assert apps.get("dbt") == {TRANSFORMER}, seen  # dbt's build sessions
    admin = wh.url.username or "postgres"
    assert users <= {LOADER, TRANSFORMER} and admin not in users, seen


def test_tables_belong_to_the_role_that_writes_them(run_as_roles):
    wh, _, _ = run_as_roles
    owners = dict(wh.rows(
        "select schemaname, string_agg(distinct tableowner, ',') from pg_tables"
        " where schemaname in ('bronze', 'silver', 'gold') group by 1"
    ))
    assert owners == {"bronze": LOADER, "silver": TRANSFORMER, "gold": TRANSFORMER}


def _refused(wh, statement) -> bool:
    try:
        with wh.cursor() as cur:
            cur.execute(statement)
        return False
    except psycopg2.errors.InsufficientPrivilege:
        return True


def test_loader_cannot_write_silver_and_transformer_cannot_drop_bronze(run_as_roles):
    wh, _, _ = run_as_roles
    loader, transformer = login_as(wh, LOADER), login_as(wh, TRANSFORMER)
    assert _refused(loader, "create table silver.intruder (i int)")
    assert _refused(loader, "delete from silver.stg_oulad__courses")
    assert _refused(transformer, "drop table bronze.oulad_courses")
    assert _refused(transformer, "delete from bronze.oulad_courses")
    assert wh.scalar("select count(*) from bronze.oulad_courses") > 0


def test_bi_reader_reads_the_gold_the_run_built(run_as_roles, monkeypatch):
    wh, _, _ = run_as_roles
    monkeypatch.setenv("EDU_WAREHOUSE_URL", wh.libpq_url())
    monkeypatch.setenv("EDU_RUN_AS_ROLES", "1")
    bi = warehouse_as("bi_reader")
    assert bi.scalar("select current_user") == BI_READER
    assert bi.scalar("select count(*) from gold.fct_registrations") > 0
    assert _refused(bi, "select count(*) from silver.stg_oulad__courses")


@pytest.mark.fast
def test_unknown_role_kind_and_bad_switch_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="unknown warehouse role kind 'admin'"):
        monkeypatch.setenv("EDU_RUN_AS_ROLES", "1")
        warehouse_as("admin")
    monkeypatch.setenv("EDU_RUN_AS_ROLES", "yes")
    with pytest.raises(ValueError, match="EDU_RUN_AS_ROLES='yes': expected 0 or 1"):
        warehouse_as("loader")
