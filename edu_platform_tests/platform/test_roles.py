"""Least privilege with real logins: loader -> bronze, transformer -> bronze to silver/gold, bi_reader -> gold."""

import psycopg2
import pytest

from edu_platform.lib.roles import BI_READER, LOADER, TRANSFORMER, ensure_roles, login_as


@pytest.fixture
def roles_db(fresh_warehouse):
    ensure_roles(fresh_warehouse)
    with fresh_warehouse.cursor() as cur:
        cur.execute("create table bronze.oulad_courses (code_module text)")
        cur.execute("insert into bronze.oulad_courses values ('AAA')")
        cur.execute("create table silver.oulad_courses as select * from bronze.oulad_courses")
        cur.execute("create table gold.dim_module as select * from silver.oulad_courses")
        cur.execute("create table ops.alert_log (id int)")
    ensure_roles(fresh_warehouse)  # idempotent, and grants on tables created since
    return fresh_warehouse


def _can(wh, statement) -> bool:
    try:
        with wh.cursor() as cur:
            cur.execute(statement)
        return True
    except psycopg2.errors.InsufficientPrivilege:
        return False


def test_bi_reader_reads_gold_only(roles_db):
    bi = login_as(roles_db, BI_READER)
    assert bi.scalar("select current_user") == BI_READER
    assert bi.scalar("select count(*) from gold.dim_module") == 1
    for table in ("bronze.oulad_courses", "silver.oulad_courses", "ops.alert_log"):
        assert not _can(bi, f"select * from {table}"), table
    assert not _can(bi, "create table gold.x (i int)")


def test_loader_writes_bronze_only(roles_db):
    loader = login_as(roles_db, LOADER)
    assert _can(loader, "create table bronze.oulad_new (i int)")
    assert _can(loader, "insert into bronze.oulad_courses values ('BBB')")
    assert not _can(loader, "create table silver.x (i int)")
    assert not _can(loader, "select * from gold.dim_module")


def test_transformer_reads_bronze_writes_silver_and_gold(roles_db):
    transformer = login_as(roles_db, TRANSFORMER)
    assert _can(transformer, "create table silver.t as select * from bronze.oulad_courses")
    assert _can(transformer, "create table gold.t as select * from silver.t")
    assert not _can(transformer, "insert into bronze.oulad_courses values ('CCC')")
    # what the transformer creates in gold is readable by BI without another grant
    assert login_as(roles_db, BI_READER).scalar("select count(*) from gold.t") == 1
