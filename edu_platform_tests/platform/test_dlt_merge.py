"""dlt's merge into bronze, through the platform's destination, on a real PostgreSQL: one transaction (a merge that
fails half-way changes nothing), and what it changed as PostgreSQL counted it (the rows a load reports after it)."""

import dlt
import pytest

from edu_platform.lib.dlt_pipelines import bronze_pipeline, merge_changes
from edu_platform.lib.roles import ensure_roles

TABLE = "merge_probe"  # no column name holds "create" (dlt reads that as DDL and opens a transaction for it)


@dlt.resource(name=TABLE, primary_key="id", write_disposition={"disposition": "merge", "strategy": "delete-insert"})
def probe(rows):
    yield rows


@pytest.fixture
def warehouse_of_roles(fresh_warehouse, monkeypatch):
    """A fresh warehouse whose loads log in as the loader role, as a deployment's do."""
    ensure_roles(fresh_warehouse)
    monkeypatch.setenv("EDU_RUN_AS_ROLES", "1")
    return fresh_warehouse


def _load(rows):
    pipeline = bronze_pipeline("merge_probe")
    info = pipeline.run(probe(rows))
    return info.loads_ids


def _rows(db) -> list[tuple]:
    return db.rows(f"select id, v from bronze.{TABLE} order by id")


def test_a_merge_reports_the_rows_postgresql_counted_it_insert_and_delete(warehouse_of_roles):
    db = warehouse_of_roles
    first = _load([{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 3, "v": 3}])
    assert merge_changes(first, TABLE) == (3, 0)
    again = _load([{"id": 2, "v": 20}, {"id": 4, "v": 4}])  # one key replaced, one new
    assert merge_changes(again, TABLE) == (2, 1)
    assert _rows(db) == [(1, 1), (2, 20), (3, 3), (4, 4)]
    assert merge_changes(again, TABLE) is None  # read once: a second reader counts the table instead


def test_a_merge_that_fails_half_way_changes_nothing(warehouse_of_roles):
    """The merge deletes the staged keys, then inserts them: when the insert fails, the delete is rolled back
    with it, so bronze never loses the rows a load was replacing."""
    db = warehouse_of_roles
    _load([{"id": 1, "v": 1}, {"id": 2, "v": 2}])
    with db.cursor() as cur:
        cur.execute(f"alter table bronze.{TABLE} add constraint v_below_100 check (v < 100)")
    with pytest.raises(Exception) as failed:
        _load([{"id": 1, "v": 1000}])  # the DELETE of key 1 succeeds, the INSERT breaks the check
    assert "v_below_100" in str(failed.value)
    assert _rows(db) == [(1, 1), (2, 2)]


def test_a_loader_denied_the_statistics_functions_still_merges(warehouse_of_roles):
    """A DBA may deny the loader PostgreSQL's per-relation statistics functions: the merge still commits, and it
    reports nothing (the table is counted instead)."""
    from edu_platform.lib.roles import LOADER

    db = warehouse_of_roles
    with db.cursor() as cur:
        for function in ("pg_stat_get_xact_tuples_inserted(oid)", "pg_stat_get_xact_tuples_deleted(oid)"):
            cur.execute(f'revoke execute on function pg_catalog.{function} from public, "{LOADER}"')
    loads = _load([{"id": 1, "v": 1}, {"id": 2, "v": 2}])
    assert merge_changes(loads, TABLE) is None
    assert _rows(db) == [(1, 1), (2, 2)]
