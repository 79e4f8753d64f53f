"""The bad-input corpus of the Dost source database; the other sources' cases sit beside them
(`oulad/test_oulad_bad_input.py`, `udacity/test_udacity_bad_input.py`).

Every hostile input is made in code from a clean, tiny source database and must get its outcome: a clear error
naming the table (or database), or a failing check that says how many rows; never a bare crash, never good rows
silently dropped. Real dlt, dbt, PostgreSQL and Dagster runs.
"""

import re

import pytest
from dagster import AssetKey, AssetSelection

from edu_platform_tests.helpers import (
    check_results,
    clone_database,
    environment,
    failure,
    last_cause,
    materialize_selection,
    started_steps,
    step_errors,
)

DOST_START, DOST_RANGE = "2019-12-02", "2019-12-02...2019-12-09"
DOST_BRONZE = AssetSelection.groups("dost_bronze")
DOST_ALL = AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold")


@pytest.fixture
def dost_case_source(dost_template, request, monkeypatch):
    db = clone_database(dost_template, f"rel_bad_dost_{request.node.name[-12:].strip('[]').lower()}"[:60])
    monkeypatch.setenv("DOST_SOURCE_URL", db.libpq_url())
    yield db
    db.drop_database()


def run_dost(selection, warehouse=None):
    if warehouse is None:
        return materialize_selection(selection, partition=DOST_RANGE)
    with environment(EDU_WAREHOUSE_URL=warehouse.libpq_url()):
        return materialize_selection(selection, partition=DOST_RANGE)


def without_constraints(db, table: str) -> None:
    """A source that does not enforce its keys (as many exports and replicas do not)."""
    db.scalar(f"alter table {table} drop constraint {table}_pkey; alter table {table} alter column id drop not null; select 1")


def copy_row(db, table: str, new_id: str, **changes) -> int:
    """Insert a copy of one existing row with another id (`new_id` is SQL) and some columns changed."""
    columns = [c for (c,) in db.rows(
        "select column_name from information_schema.columns where table_schema = 'public' and table_name = %s order by ordinal_position",
        (table,),
    )]
    select = ", ".join(
        new_id if c == "id" else (f"{changes[c]} as {c}" if c in changes else c) for c in columns
    )
    source_id = db.scalar(f"select id from {table} where id is not null order by id limit 1 offset 3")
    db.scalar(f"insert into {table} ({', '.join(columns)}) select {select} from {table} where id = %s; select 1", (source_id,))
    return source_id


def failed_dbt_checks(result) -> dict[tuple[str, str], int]:
    """(asset, check) -> failing row count, for every failing check of the run."""
    out = {}
    for (asset, check), evaluation in check_results(result).items():
        if not evaluation.passed and check != "freshness_check":  # timeliness of the seeded history, not its content
            count = evaluation.metadata.get("dagster_dbt/failed_row_count") or evaluation.metadata.get("failing_rows")
            out[(asset, check)] = count.value if count is not None else None
    return out


def test_dost_null_key_is_counted_not_dropped(dost_case_source, fresh_warehouse):
    without_constraints(dost_case_source, "campaign")
    copy_row(dost_case_source, "campaign", "null::bigint")
    result = run_dost(DOST_BRONZE)
    evaluation = check_results(result).get(("bronze/dost/campaign", "required_not_null"))
    assert evaluation is not None, step_errors(result)
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 1
    assert evaluation.metadata["missing_by_column"].value == {"id": 1}
    assert fresh_warehouse.scalar("select count(*) from bronze.dost_campaign") == dost_case_source.scalar("select count(*) from campaign")
    assert not {"dost_dbt"} & started_steps(result)  # nothing built on top


def test_dost_duplicate_keys_fail_the_key_check_with_counts(dost_case_source, fresh_warehouse):
    without_constraints(dost_case_source, "campaign")
    copy_row(dost_case_source, "campaign", "id", status="'busy'")  # the same id twice, the two versions differ
    result = run_dost(DOST_BRONZE)
    evaluation = check_results(result).get(("bronze/dost/campaign", "duplicate_keys"))
    assert evaluation is not None, step_errors(result)
    assert not evaluation.passed, (
        "two source rows with one campaign id reached bronze as "
        f"{fresh_warehouse.scalar('select count(*) from bronze.dost_campaign')} rows of "
        f"{dost_case_source.scalar('select count(*) from campaign')}: one was dropped without a word"
    )
    assert evaluation.metadata["duplicate_keys"].value == 1
    assert evaluation.metadata["failing_rows"].value == 2


def test_dost_negative_duration_fails_a_check_with_counts(dost_case_source, fresh_warehouse):
    dost_case_source.scalar("update content set duration = -30 where id = (select min(id) from content); select 1")
    silver = [AssetKey(["silver", "dost", t]) for t in ("stg_dost__content", "stg_dost__programseq")]
    result = run_dost(DOST_BRONZE | AssetSelection.assets(*silver))
    failed = failed_dbt_checks(result)
    assert [count for (asset, _), count in failed.items() if asset == "silver/dost/stg_dost__content"] == [1], failed
    content_id = dost_case_source.scalar("select min(id) from content")
    samples = [e.metadata.get("failing_keys_sample") for (asset, _), e in check_results(result).items()
               if asset == "silver/dost/stg_dost__content" and not e.passed]
    # the row's key and the tested column, not the whole row
    assert [s.value for s in samples if s] == [f"content_id={content_id}, duration_sec=-30"], samples
    assert fresh_warehouse.scalar("select count(*) from silver.stg_dost__content") == dost_case_source.scalar("select count(*) from content")


def full_dost_build(source, warehouse, work):
    with environment(DOST_SOURCE_URL=source.libpq_url(), EDU_DLT_PIPELINES_DIR=work):
        return run_dost(DOST_ALL, warehouse)


def test_dost_orphan_foreign_key_fails_a_check_and_keeps_the_row(dost_template, dim_date_template, tmp_path):
    source = clone_database(dost_template, "rel_bad_dost_orphan")
    warehouse = clone_database(dim_date_template, "rel_bad_dost_orphan_wh")
    copy_row(source, "campaign", "(select max(id) + 1 from campaign)", user_id="987654321")
    result = full_dost_build(source, warehouse, tmp_path / "dlt")
    failed = failed_dbt_checks(result)
    # the call of a user the source does not know is kept, and the checks it breaks say: one row
    assert failed and set(failed.values()) == {1}, failed
    assert all(asset.startswith(("silver/dost/", "gold/dost/")) for asset, _ in failed)
    assert warehouse.scalar("select count(*) from gold.fct_dost_calls where user_id = 987654321") == 1
    assert warehouse.scalar("select count(*) from silver.stg_dost__campaign") == source.scalar("select count(*) from campaign")


@pytest.fixture(scope="module")
def dost_dirty_run(dost_template, dim_date_template, tmp_path_factory):
    """One full Dost build over a source with signup dates far in the future and before 1900, and calls
    that report more listening than their content lasts (neither blocks the other's checks)."""
    source = clone_database(dost_template, "rel_bad_dost_dirty")
    warehouse = clone_database(dim_date_template, "rel_bad_dost_dirty_wh")
    future, past = source.rows("select id from users order by id limit 2 offset 5")
    source.scalar("update users set created_on = '2999-01-01T10:00:00Z' where id = %s; select 1", (future[0],))
    source.scalar("update users set created_on = '1850-06-01T10:00:00Z' where id = %s; select 1", (past[0],))
    over = source.rows(
        "update campaign c set listen_secs = ct.duration + 5000 from content ct"
        " where ct.id = c.content_id and c.id in (select id from campaign where lower(trim(status)) = 'completed' order by id limit 3)"
        " returning c.id"
    )
    over_total = source.scalar(
        "select count(*) from campaign c join content ct on ct.id = c.content_id where c.listen_secs > ct.duration"
    )
    result = full_dost_build(source, warehouse, tmp_path_factory.mktemp("dirty_dlt"))
    return {
        "result": result, "source": source, "warehouse": warehouse,
        "over": [i for (i,) in over], "over_total": over_total, "failed": failed_dbt_checks(result),
    }


def test_dost_dates_far_in_the_future_or_before_1900_fail_a_check_with_counts(dost_dirty_run):
    failed, wh = dost_dirty_run["failed"], dost_dirty_run["warehouse"]
    date_checks = {k: n for k, n in failed.items() if "date" in k[1]}
    assert list(date_checks.values()) == [2], failed
    assert wh.scalar("select count(*) from silver.stg_dost__users where signup_date < '1900-01-01' or signup_date > '2100-01-01'") == 2


def test_dost_listen_secs_over_content_length_is_capped_and_counted(dost_dirty_run):
    failed, wh = dost_dirty_run["failed"], dost_dirty_run["warehouse"]
    rows = wh.rows(
        "select c.listen_secs_raw - ct.duration_sec, c.listen_secs = ct.duration_sec from silver.stg_dost__campaign c"
        " join silver.stg_dost__content ct using (content_id) where c.campaign_id = any(%s)",
        (dost_dirty_run["over"],),
    )
    assert sorted(rows) == [(5000, True)] * 3  # kept, raw value preserved, capped at the content length
    counted = {k: n for k, n in failed.items() if "listen" in k[1]}
    assert list(counted.values()) == [dost_dirty_run["over_total"]], (
        f"no check reports the {dost_dirty_run['over_total']} calls whose listen_secs exceeds the content length; "
        f"failing checks: {failed}"
    )


def test_dost_source_database_down_names_it(monkeypatch, fresh_warehouse):
    monkeypatch.setenv("DOST_SOURCE_URL", "postgresql://dost:secret@127.0.0.1:1/dost_production")
    message = failure(run_dost(DOST_BRONZE))
    assert re.search(r"connect|refused", message, re.I), message[-1500:]
    assert "secret" not in message
    assert "dost_production" in message, f"the error does not name the Dost source database: {last_cause(message)}"


def test_dost_source_lacking_a_table_names_it(dost_case_source, fresh_warehouse):
    dost_case_source.scalar("drop view listen_rate; drop table content; select 1")
    message = failure(run_dost(DOST_BRONZE))
    assert re.search(r"\bcontent\b", message), message[-1500:]
    assert dost_case_source.database in message, f"the error does not name the Dost source database: {last_cause(message)}"
