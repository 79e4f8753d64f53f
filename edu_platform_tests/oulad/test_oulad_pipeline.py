"""OULAD end to end on small synthetic files: real dlt loads, real dbt builds, real Dagster runs."""

import csv
from collections import Counter

import pytest
from dagster import AssetSelection

from edu_platform.synthetic.oulad import generate
from edu_platform_tests.helpers import check_results, materialize_selection, step_errors

OULAD = AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold")


@pytest.fixture(scope="module")
def oulad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad")
    counts = generate(folder, scale=0.004)
    return folder, counts


@pytest.fixture(scope="module")
def oulad_run(oulad_files, warehouse, module_monkeypatch):
    folder, counts = oulad_files
    module_monkeypatch.setenv("OULAD_SOURCE", str(folder))
    return materialize_selection(OULAD)


@pytest.mark.fast
def test_definitions_load():
    from edu_platform.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert "bronze/oulad/student_vle" in keys
    assert "gold/oulad/fct_registrations" in keys
    parents = {p.to_user_string() for p in graph.get(defs_key("silver/oulad/stg_oulad__student_vle")).parent_keys}
    assert parents == {"bronze/oulad/student_vle"}


def defs_key(path):
    from dagster import AssetKey

    return AssetKey(path.split("/"))


def test_whole_graph_materializes_and_checks_pass(oulad_run):
    assert oulad_run.success, step_errors(oulad_run)
    failed = {k: v.description for k, v in check_results(oulad_run).items() if not v.passed}
    assert not failed
    assert len(check_results(oulad_run)) > 60


def test_gold_reconciles_with_bronze(oulad_run, oulad_files, warehouse):
    _, counts = oulad_files
    assert warehouse.scalar("select count(*) from bronze.oulad_student_info") == counts["studentInfo"]
    assert warehouse.scalar("select count(*) from gold.fct_registrations") == counts["studentInfo"]
    bronze_clicks = warehouse.scalar("select sum(sum_click::bigint) from bronze.oulad_student_vle")
    assert warehouse.scalar("select sum(sum_click) from gold.fct_vle_interactions") == bronze_clicks
    assert warehouse.scalar("select count(*) from bronze.oulad_student_vle") == counts["studentVle"]
    # published repeats are summed, so the fact has fewer rows than the file
    assert warehouse.scalar("select count(*) from gold.fct_vle_interactions") < counts["studentVle"]


def test_cohort_mart_matches_source_files(oulad_run, oulad_files, warehouse):
    folder, _ = oulad_files
    with open(folder / "studentInfo.csv", newline="") as f:
        expected = Counter(row["final_result"] for row in csv.DictReader(f))
    row = warehouse.rows("select sum(passed), sum(distinctions), sum(failed), sum(withdrawn) from gold.mart_cohort_outcomes")[0]
    assert dict(zip(["Pass", "Distinction", "Fail", "Withdrawn"], map(int, row))) == dict(expected)


def test_missing_values_become_null_in_silver(oulad_run, oulad_files, warehouse):
    folder, _ = oulad_files
    with open(folder / "studentInfo.csv", newline="") as f:
        missing_imd = sum(1 for row in csv.DictReader(f) if row["imd_band"] == "?")
    assert missing_imd > 0
    assert warehouse.scalar("select count(*) from silver.stg_oulad__student_info where imd_band is null") == missing_imd
    assert warehouse.scalar("select count(*) from silver.stg_oulad__student_info where imd_band = '?'") == 0


def test_calendar_maps_offsets_to_dates(oulad_run, warehouse):
    rows = dict(warehouse.rows(
        "select presentation_key, date_day::text from silver.int_oulad__presentation_calendar where day_offset = 0"
        " and presentation_key in ('AAA_2013J', 'BBB_2014B')"
    ))
    assert rows == {"AAA_2013J": "2013-10-01", "BBB_2014B": "2014-02-01"}


def test_vle_fact_equals_its_plain_definition(oulad_run, warehouse):
    """fct_vle_interactions finds the calendar by a group's codes (not by a key concatenated per group): over the
    built silver plus groups with blank-padded codes and codes of no course, its rows equal the plain definition
    (group, key by concatenation, left join the calendar on the key)."""
    import re
    from pathlib import Path

    model = (Path(__file__).resolve().parents[2] / "dbt/models/gold/oulad/fct_vle_interactions.sql").read_text()
    model = re.sub(r"\{\{ config\(.*?\) \}\}", "", model, flags=re.S)
    model = re.sub(r"\{\{ ref\('(\w+)'\) \}\}", lambda m: f"silver.{m.group(1)}", model)
    model = model.replace("silver.stg_oulad__student_vle", "fct_probe.student_vle")
    plain = """
        with daily as (
            select id_student, id_site, day_offset, code_module, code_presentation,
                   sum(sum_click) as sum_click, count(*) as source_rows
            from fct_probe.student_vle group by 1, 2, 3, 4, 5
        ), keyed as (select trim(code_module) || '_' || trim(code_presentation) as presentation_key, * from daily)
        select k.presentation_key, k.id_student, k.id_site, k.day_offset, cal.week_offset, cal.date_key,
               k.sum_click, k.source_rows
        from keyed k left join silver.int_oulad__presentation_calendar cal using (presentation_key, day_offset)"""
    with warehouse.cursor() as cur:
        cur.execute("drop schema if exists fct_probe cascade; create schema fct_probe")
        cur.execute(
            "create view fct_probe.student_vle as select * from silver.stg_oulad__student_vle union all"
            " select v.presentation_key, ' ' || v.code_module || ' ', v.code_presentation || ' ', v.id_student + 1,"
            " v.id_site, v.day_offset, v.sum_click from (select * from silver.stg_oulad__student_vle limit 3) v union all"
            " select 'ZZZ_2099J', 'ZZZ', '2099J', 1, 2, 3, 4::bigint"
        )
        cur.execute(f"select count(*) from (({model}) except all ({plain})) d")
        extra = cur.fetchone()[0]
        cur.execute(f"select count(*) from (({plain}) except all ({model})) d")
        missing = cur.fetchone()[0]
        cur.execute(f"select count(*), array_agg(presentation_key) filter (where date_key is null) from ({model}) m")
        rows, unmatched = cur.fetchone()
        cur.execute("drop schema fct_probe cascade")
    assert (extra, missing) == (0, 0)
    # the blank-padded codes found their calendar; only the course that does not exist has no date
    assert unmatched == ["ZZZ_2099J"] and rows > warehouse.scalar("select count(*) from gold.fct_vle_interactions")


def test_reconciliation_names_the_measure_that_does_not_add_up(oulad_run, warehouse):
    """The fact's reconciliation with bronze (one `equal_sum` test, two measures, one scan per side), re-run as dbt
    compiled it: nothing on the built fact; one click more in one row fails `sum_click` alone, with both totals."""
    import json
    import os
    from pathlib import Path

    # the session's dbt target holds every module's builds: take this warehouse's, as the module's run compiled it
    fact = f'"{warehouse.database}"."gold"."fct_vle_interactions"'
    compiled = None
    for results in sorted(Path(os.environ["EDU_DBT_TARGET_PATH"]).glob("*/run_results.json"), key=lambda p: p.stat().st_mtime):
        for result in json.loads(results.read_text())["results"]:
            if result["unique_id"].startswith("test.edu_platform.equal_sum_fct_vle_interactions") and fact in (result.get("compiled_code") or ""):
                compiled = result["compiled_code"]
    assert compiled, f"no compiled reconciliation of {fact} in the session's dbt target"
    assert warehouse.rows(compiled) == []
    with warehouse.cursor() as cur:
        cur.execute("drop schema if exists sum_probe cascade; create schema sum_probe")
        cur.execute("create view sum_probe.fct as select id_student, id_site, day_offset, source_rows,"
                    " sum_click + case when row_number() over () = 1 then 1 else 0 end as sum_click from gold.fct_vle_interactions")
    try:
        failing = warehouse.rows(compiled.replace(fact, "sum_probe.fct"))
    finally:
        with warehouse.cursor() as cur:
            cur.execute("drop schema sum_probe cascade")
    assert [(m, model - compare) for m, model, compare in failing] == [("sum_click", 1)], failing
