"""Dashboards as code on gold, and what a materialization tells the UI.

One small warehouse of the module's own holds all three sources built for real (dlt, dbt, Dagster): every
Metabase question's SQL runs there as `bi_reader` and returns rows; the materializations carry row counts and
column schemas. The provisioning runs against the recorded Metabase API contract over HTTP (Metabase itself
cannot run on these machines), twice: the second run changes nothing but updates in place.
"""

import re
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance

from edu_platform.lib.roles import BI_READER, ensure_roles, login_as
from edu_platform.metabase.dashboards import DASHBOARDS
from edu_platform.metabase.provision import DATABASE, Metabase, WarehouseAsSeenByMetabase, provision
from edu_platform_tests.helpers import empty_schemas, make_database, materialize_selection, set_environment, step_errors
from edu_platform_tests.ui.metabase_contract_server import contract_server

QUESTIONS = [q for d in DASHBOARDS for q in d.questions]
DOST_WEEKS = ("2019-01-07", "2019-01-28")
COURSE_PARTITION = "2026-08-01|data_science"


@pytest.fixture(scope="module")
def built(tmp_path_factory, warehouse, module_monkeypatch):
    """OULAD, four Dost weeks and one course month, built bronze to gold into the session's warehouse: the one the
    dbt manifest was parsed for, whose relation names dagster-dbt counts rows and reads columns by (a database of
    the module's own would make those queries cross-database, which PostgreSQL refuses)."""
    from edu_platform.synthetic.dost import generate as generate_dost
    from edu_platform.synthetic.oulad import generate as generate_oulad
    from edu_platform.synthetic.udacity import write_dimensions, write_month

    root = tmp_path_factory.mktemp("ui_sources")
    wh = warehouse
    empty_schemas(wh)  # an earlier module of this worker may have loaded the same synthetic ids: first loads insert
    dost = make_database("ui_dost")
    generate_oulad(root / "oulad", scale=0.003)
    generate_dost(dost, scale=0.05, weeks=4)
    write_dimensions(root / "udacity", ["data_science"], 0.005)
    write_month(root / "udacity", "data_science", "2026-08", 0.005)
    set_environment(
        module_monkeypatch, EDU_WAREHOUSE_URL=wh.libpq_url(), OULAD_SOURCE=root / "oulad", DOST_SOURCE_URL=dost.libpq_url(),
        UDACITY_SOURCE=root / "udacity", EDU_DLT_PIPELINES_DIR=root / "dlt",
    )
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["data_science"])
    results = {}
    oulad = AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold")
    results["oulad"] = materialize_selection(oulad, instance=instance)
    results["dost"] = materialize_selection(
        AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold"), instance=instance,
        partition=f"{DOST_WEEKS[0]}...{DOST_WEEKS[1]}",
    )
    from edu_platform.defs.udacity.assets import udacity_dims_bronze, udacity_dims_dbt, udacity_facts_bronze, udacity_facts_dbt

    results["course_dims"] = materialize_selection(AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt), instance=instance)
    results["course_month"] = materialize_selection(
        AssetSelection.assets(udacity_facts_bronze, udacity_facts_dbt), instance=instance, partition_key=COURSE_PARTITION
    )
    for name, result in results.items():
        assert result.success, (name, step_errors(result))
    ensure_roles(wh)
    return {"wh": wh, "results": results, "dost": dost, "instance": instance, "root": root}


def _materializations(result) -> dict[str, dict]:
    return {
        e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
        for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    }


@pytest.mark.fast
def test_every_question_reads_gold_only():
    for question in QUESTIONS:
        relations = re.findall(r"\b(?:from|join)\s+([a-z_][\w.]*)", question.sql, flags=re.IGNORECASE)
        assert relations and all(r.startswith("gold.") for r in relations), (question.name, relations)


def test_every_question_returns_rows_as_bi_reader(built):
    bi = login_as(built["wh"], BI_READER)
    empty = []
    for question in QUESTIONS:
        rows = bi.rows(question.sql)
        if not rows:
            empty.append(question.name)
    assert not empty, f"questions with no rows on the built gold: {empty}"
    with pytest.raises(Exception, match="permission denied"):
        bi.rows("select count(*) from silver.stg_oulad__courses")


def test_materializations_carry_row_counts_and_column_types(built, warehouse):
    wh = built["wh"]
    oulad = _materializations(built["results"]["oulad"])
    courses = oulad["bronze/oulad/courses"]
    assert courses["dagster/row_count"].value == wh.scalar("select count(*) from bronze.oulad_courses") > 0
    fact = oulad["gold/oulad/fct_registrations"]
    assert fact["dagster/row_count"].value == wh.scalar("select count(*) from gold.fct_registrations") > 0
    types = {c.name: c.type for c in fact["dagster/column_schema"].value.columns}
    assert types.get("id_student") and types["presentation_key"] == "text", types
    dost = _materializations(built["results"]["dost"])
    campaign = dost["bronze/dost/campaign"]
    assert campaign["dagster/row_count"].value == wh.scalar("select count(*) from bronze.dost_campaign") > 0
    assert campaign["dagster/partition_row_count"].value == campaign["rows_loaded"].value > 0
    month = _materializations(built["results"]["course_month"])
    feedback = month["bronze/udacity/project_feedback"]
    assert feedback["dagster/partition_row_count"].value == wh.scalar(
        "select count(*) from bronze.udacity_project_feedback where nanodegree = 'data_science' and month = '2026-08-01'"
    )
    missing = [key for key, meta in {**oulad, **dost, **month}.items()
               if "dagster/row_count" not in meta and "dagster/partition_row_count" not in meta
               and meta.get("dagster_dbt/materialization_type") and meta["dagster_dbt/materialization_type"].value != "view"]
    assert not missing, f"materializations without a row count: {missing}"


@pytest.mark.fast
def test_provisioning_follows_the_recorded_contract_and_is_idempotent():
    warehouse = WarehouseAsSeenByMetabase("postgres", 5432, "edu_warehouse", BI_READER, "bi-secret")
    with contract_server() as (url, state):
        first = provision(Metabase(url), "admin@example.org", "a-long-passphrase", warehouse)
        assert not state.violations, state.violations
        assert state.user["email"] == "admin@example.org"  # a fresh Metabase was set up
        cards_after_first = dict(state.objects["card"])
        second = provision(Metabase(url), "admin@example.org", "a-long-passphrase", warehouse)
        assert not state.violations, state.violations
    assert first == second  # found by name, updated in place: nothing added
    assert any(call[:2] == ("POST", "/api/session") for call in state.calls)  # the second run logs in
    (database,) = state.objects["database"].values()
    assert database["name"] == DATABASE and database["details"]["user"] == BI_READER
    assert database["details"]["schema-filters-patterns"] == "gold"
    assert len(state.objects["card"]) == len(cards_after_first) == len(QUESTIONS)
    by_name = {card["name"]: card for card in state.objects["card"].values()}
    for question in QUESTIONS:
        query = by_name[question.name]["dataset_query"]
        assert query["type"] == "native" and query["native"]["query"] == question.sql
        assert query["database"] in state.objects["database"]
    assert {d["name"] for d in state.objects["dashboard"].values()} == {d.name for d in DASHBOARDS}
    for dashboard in DASHBOARDS:
        ids = first[dashboard.name]
        shown = state.objects["dashboard"][ids["dashboard_id"]]["dashcards"]
        assert [c["card_id"] for c in shown] == ids["card_ids"] and len(shown) == len(dashboard.questions)
        assert all(c["col"] + c["size_x"] <= 24 for c in shown)


def _changes(meta) -> tuple[int, int, int, int]:
    return tuple(meta[k].value for k in ("rows_loaded", "rows_inserted", "rows_replaced", "rows_deleted"))


def test_bronze_loads_say_what_they_changed(built):
    """Every bronze materialization says what its load changed: a first load inserts everything, a re-run of the
    same week replaces what it brought, a week with a new call and a corrected older one inserts one row and
    replaces the rest; a reloaded smaller file and an emptied partition delete rows. Runs last: it edits the
    module's sources."""
    from edu_platform.defs.dost.settings import lag_hours
    from edu_platform.defs.udacity.assets import udacity_facts_bronze
    from edu_platform.defs.udacity.settings import month_folder

    wh, dost, instance, root = built["wh"], built["dost"], built["instance"], built["root"]
    first = _materializations(built["results"]["dost"])["bronze/dost/campaign"]
    assert _changes(first) == (first["dagster/row_count"].value, first["dagster/row_count"].value, 0, 0), _changes(first)

    week = DOST_WEEKS[1]
    dost_bronze = AssetSelection.groups("dost_bronze")
    before = wh.scalar("select count(*) from bronze.dost_campaign")
    rerun = _materializations(materialize_selection(dost_bronze, instance=instance, partition_key=week))["bronze/dost/campaign"]
    loaded = rerun["rows_loaded"].value
    assert loaded > 0 and _changes(rerun) == (loaded, 0, loaded, 0), _changes(rerun)
    assert rerun["dagster/row_count"].value == before == wh.scalar("select count(*) from bronze.dost_campaign")

    with dost.cursor() as cur:  # a new call in the week, and a correction (in the week) to a call of an earlier week
        cur.execute(
            "create temp table new_call as select * from campaign where id = (select min(id) from campaign);"
            " update new_call set id = (select max(id) + 1 from campaign), updated_at = '2019-01-29 12:00+00';"
            " insert into campaign select * from new_call;"
        )
        cur.execute(  # a call loaded by an earlier week, outside this week's read window (which starts lag hours early)
            "update campaign set listen_secs = coalesce(listen_secs, 0) + 1, updated_at = '2019-01-29 13:00+00'"
            " where id = (select min(id) from campaign where updated_at >= %s and updated_at < %s::timestamptz - make_interval(hours => %s))",
            (f"{DOST_WEEKS[0]} 00:00+00", f"{week} 00:00+00", int(lag_hours()) + 1),
        )
        assert cur.rowcount == 1
    changed = _materializations(materialize_selection(dost_bronze, instance=instance, partition_key=week))["bronze/dost/campaign"]
    assert _changes(changed) == (loaded + 2, 1, loaded + 1, 0), (_changes(changed), loaded)
    assert changed["dagster/row_count"].value == before + 1 == wh.scalar("select count(*) from bronze.dost_campaign")

    courses = root / "oulad" / "courses.csv"  # OULAD reloads a file one course shorter: every row replaced, one deleted
    lines = courses.read_text().splitlines(keepends=True)
    courses.write_text("".join(lines[:-1]))
    oulad = _materializations(materialize_selection(AssetSelection.groups("oulad_bronze"), instance=instance))
    n = len(lines) - 2  # header, and the dropped course
    assert _changes(oulad["bronze/oulad/courses"]) == (n, 0, n, 1), _changes(oulad["bronze/oulad/courses"])
    assert oulad["bronze/oulad/courses"]["dagster/row_count"].value == n == wh.scalar("select count(*) from bronze.oulad_courses")

    facts = AssetSelection.assets(udacity_facts_bronze)
    same = _materializations(materialize_selection(facts, instance=instance, partition_key=COURSE_PARTITION))
    feedback = same["bronze/udacity/project_feedback"]
    m = feedback["rows_loaded"].value
    assert m > 0 and _changes(feedback) == (m, 0, m, 0), _changes(feedback)
    month, nanodegree = COURSE_PARTITION.split("|")
    landed = Path(month_folder(str(root / "udacity"), nanodegree, month)) / "project_feedback.csv"
    landed.write_text(landed.read_text().splitlines(keepends=True)[0])  # the month's feedback file lands empty
    emptied = _materializations(materialize_selection(facts, instance=instance, partition_key=COURSE_PARTITION))
    feedback = emptied["bronze/udacity/project_feedback"]
    assert _changes(feedback) == (0, 0, 0, m), _changes(feedback)
    assert feedback["dagster/row_count"].value == wh.scalar("select count(*) from bronze.udacity_project_feedback")


def test_rows_before_a_load_are_counted_as_of_its_start(fresh_warehouse):
    """The count of a table's rows before a load runs beside the load: it sees the table as it was when the load
    started (rows written since are not counted), and a TRUNCATE by the load waits for it instead of emptying it."""
    import threading

    from edu_platform.defs.dost.tables import TABLES_BY_NAME
    from edu_platform.lib.dlt_runs import row_counts_before_load

    db = fresh_warehouse
    ensure_roles(db)
    table, missing = TABLES_BY_NAME["campaign"], TABLES_BY_NAME["users"]  # bronze has the first, not the second
    with db.cursor() as cur:
        cur.execute("create schema if not exists bronze")
        cur.execute(f"create table bronze.{table.relation} as select generate_series(1, 3) as id")
        cur.execute(f"grant usage on schema bronze to public; grant select on bronze.{table.relation} to public")
    counting = row_counts_before_load([table, missing])
    truncated = threading.Event()

    def load():
        with db.cursor() as cur:
            cur.execute(f"insert into bronze.{table.relation} select generate_series(4, 5)")
            cur.execute(f"truncate bronze.{table.relation}")  # waits for the count's lock
            truncated.set()

    loader = threading.Thread(target=load)
    loader.start()
    assert counting.result(timeout=60) == {table.name: 3, missing.name: 0}
    loader.join(timeout=60)
    assert truncated.is_set() and db.scalar(f"select count(*) from bronze.{table.relation}") == 0
