"""Role set-up under concurrent starts, passwords never in the server's log, and a BI reader confined to gold of
the warehouse database (issue 18, items 8 and 9). Real logins on the test server."""

import os
import subprocess
import sys
import uuid

import psycopg2
import pytest

from edu_platform.lib.roles import BI_READER, LOADER, TRANSFORMER, ensure_roles, login_as
from edu_platform_tests.helpers import make_database

STARTS = 8
CHILD = "import sys; from edu_platform.lib.roles import ensure_roles; from edu_platform.lib.warehouse import Warehouse;" \
        " ensure_roles(Warehouse.from_url(sys.argv[1]))"


def server_log_size(wh) -> tuple[str, int]:
    """The server's log file (relative to its data directory) and its size now."""
    name = wh.scalar("select coalesce(pg_current_logfile(), 'log')")
    return name, wh.scalar("select size from pg_stat_file(%s)", (name,))


def server_log_since(wh, name: str, offset: int) -> str:
    size = wh.scalar("select size from pg_stat_file(%s)", (name,))
    return wh.scalar("select pg_read_file(%s, %s, %s)", (name, offset, size - offset)) or ""


def test_concurrent_starts_all_succeed_and_no_password_reaches_the_server_log(fresh_warehouse, monkeypatch):
    passwords = {
        "EDU_LOADER_PASSWORD": f"loader-{uuid.uuid4().hex}",
        "EDU_TRANSFORMER_PASSWORD": f"tr'ans$former-{uuid.uuid4().hex}",  # a quote and a dollar: no SQL text built from it
        "EDU_BI_READER_PASSWORD": f"reader-{uuid.uuid4().hex}",
    }
    for name, value in passwords.items():
        monkeypatch.setenv(name, value)
    # every statement of the set-up is logged: a password sent as text would be in the log
    fresh_warehouse.scalar(f'alter database "{fresh_warehouse.database}" set log_statement = \'all\'; select 1')
    log_name, offset = server_log_size(fresh_warehouse)
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, fresh_warehouse.libpq_url()], env=dict(os.environ),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(STARTS)
    ]
    outcomes = [(child.wait(timeout=300), child.stderr.read()) for child in children]
    assert [code for code, _ in outcomes] == [0] * STARTS, [err[-1500:] for code, err in outcomes if code]
    log = server_log_since(fresh_warehouse, log_name, offset)
    assert "SCRAM-SHA-256$" in log, "the set-up's statements were not logged: the assertion below would prove nothing"
    for value in passwords.values():
        assert value not in log
        assert value.split("-")[-1] not in log
    stored = dict(fresh_warehouse.rows(
        "select rolname, rolpassword from pg_authid where rolname = any(%s)", ([LOADER, TRANSFORMER, BI_READER],)
    ))
    assert all(v and v.startswith("SCRAM-SHA-256$4096:") for v in stored.values()), stored


@pytest.fixture
def confined(fresh_warehouse):
    other = make_database("rel_other_src")  # e.g. the Dost source or Dagster's storage on the same server
    ensure_roles(fresh_warehouse)
    with fresh_warehouse.cursor() as cur:
        cur.execute("create table bronze.dost_experience (id int, phone_hash text)")
        cur.execute("insert into bronze.dost_experience select g, md5(g::text) from generate_series(1, 500) g")
        cur.execute("analyze bronze.dost_experience")
        cur.execute("create view silver.secret_logic as select id from bronze.dost_experience where id > 41")
        cur.execute("create table gold.dim_x as select 1 as x")
    ensure_roles(fresh_warehouse)
    yield fresh_warehouse, other
    other.drop_database()


def refused(wh, statement) -> bool:
    try:
        with wh.cursor() as cur:
            cur.execute(statement)
            cur.fetchall()
        return False
    except psycopg2.errors.InsufficientPrivilege:
        return True


def test_bi_reader_connects_only_to_the_warehouse(confined):
    wh, other = confined
    assert login_as(wh, BI_READER).scalar("select count(*) from gold.dim_x") == 1
    for database in (other.database, "postgres"):
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            login_as(wh.with_database(database), BI_READER).connect().close()
    # the platform's other roles keep their access
    assert login_as(wh, TRANSFORMER).scalar("select count(*) from bronze.dost_experience") == 500


def test_bi_reader_has_no_temp_and_creates_nothing(confined):
    bi = login_as(confined[0], BI_READER)
    assert refused(bi, "create temporary table t (i int)")
    assert refused(bi, "create function pg_temp.f() returns int language sql as 'select 1'")
    assert refused(bi, "create table public.t (i int)")
    assert refused(bi, "create function public.f() returns int language sql as 'select 1'")


def test_bi_reader_reads_no_statistics_or_definitions_of_non_gold_objects(confined):
    bi = login_as(confined[0], BI_READER)
    assert refused(bi, "select relname, n_live_tup from pg_stat_user_tables")
    assert refused(bi, "select relname, n_live_tup from pg_stat_all_tables")
    assert refused(bi, "select pg_stat_get_live_tuples('bronze.dost_experience'::regclass)")
    assert refused(bi, "select definition from pg_views where schemaname = 'silver'")
    assert refused(bi, "select pg_get_viewdef('silver.secret_logic'::regclass)")
    assert refused(bi, "select ev_action from pg_rewrite")
    assert refused(bi, "select indexdef from pg_indexes")
    # names stay listable (BI tools browse the catalog); what they contain does not
    assert bi.scalar("select count(*) from pg_views where viewname = 'secret_logic'") == 1
    assert refused(bi, "select count(*) from bronze.dost_experience")
    # the transformer (dbt) still reads definitions and statistics
    transformer = login_as(confined[0], TRANSFORMER)
    assert "41" in transformer.scalar("select definition from pg_views where viewname = 'secret_logic'")
