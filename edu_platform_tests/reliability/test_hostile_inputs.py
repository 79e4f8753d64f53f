"""Hostile inputs of issue 18 (and more of the same kind): a source that changes under the platform, impossible
values, files pointing outside their root, dimension versions arriving out of order. Each case asserts its
outcome: blocked naming what is wrong, or carried and reported, never a changed gold figure with every check
green. Real source databases, real files, real dlt loads, dbt builds and Dagster runs."""

import csv
import os
import re
import shutil

import pytest
from dagster import AssetKey, AssetSelection

from edu_platform.synthetic.oulad import generate as generate_oulad
from edu_platform.synthetic import udacity as udacity_generator
from edu_platform.defs.udacity.assets import udacity_dims_bronze, udacity_dims_dbt
from edu_platform_tests.helpers import (
    check_results,
    clone_database,
    environment,
    failure,
    materialize_selection,
    step_errors,
)

DOST_START, DOST_RANGE = "2019-12-02", "2019-12-02...2019-12-09"
DOST_BRONZE = AssetSelection.groups("dost_bronze")
SECRET = "s3cr3t-token-do-not-log"


def failed_checks(result) -> dict[str, object]:
    """check name -> failing row count (or None), for every failing check of the run."""
    out = {}
    for (_, check), evaluation in check_results(result).items():
        if not evaluation.passed:
            count = evaluation.metadata.get("dagster_dbt/failed_row_count") or evaluation.metadata.get("failing_rows")
            out[check] = count.value if count is not None else None
    return out


# -------------------------------------------------------------------------------------- Dost contracts

@pytest.fixture
def dost_source(dost_template, request, monkeypatch, fresh_warehouse):
    db = clone_database(dost_template, f"rel_hostile_{request.node.name[5:30].lower()}")
    monkeypatch.setenv("DOST_SOURCE_URL", db.libpq_url())
    yield db
    db.drop_database()


def run_dost_bronze():
    return materialize_selection(DOST_BRONZE, partition=DOST_RANGE)


def assert_blocked_naming(message: str, *parts: str) -> None:
    assert "SchemaContractError" in message, message[-2000:]
    for part in parts:
        assert part in message, (part, message[-2000:])
    assert "re-run partition(s) 2019-12-02...2019-12-09" in message


def test_renamed_source_column_blocks_naming_table_column_expected_and_found(dost_source, fresh_warehouse):
    dost_source.scalar("drop view listen_rate; alter table campaign rename column listen_secs to listened_secs; select 1")
    message = failure(run_dost_bronze())
    assert_blocked_naming(message, dost_source.database, "table campaign, column listen_secs: expected integer, found no such column",
                          "listened_secs")
    assert fresh_warehouse.scalar("select to_regclass('bronze.dost_campaign') is null")  # nothing loaded


def test_retyped_source_column_blocks_naming_it(dost_source, fresh_warehouse):
    dost_source.scalar("alter table users alter column updated_at type text using updated_at::text; select 1")
    message = failure(run_dost_bronze())
    assert_blocked_naming(message, "table users, column updated_at: expected timestamptz, found text")
    assert "ArrowTypeError" not in message and not re.search(r"line 2\b", message)


def test_removed_pii_column_blocks(dost_source, fresh_warehouse):
    dost_source.scalar("alter table experience drop column phone; select 1")
    assert_blocked_naming(failure(run_dost_bronze()), "table experience, column phone: expected text, found no such column")


def test_new_source_column_is_carried_and_warned_and_a_widened_integer_passes(dost_source, fresh_warehouse):
    dost_source.scalar(
        "drop view listen_rate; alter table campaign add column operator_note text default 'ok';"
        " alter table campaign alter column listen_secs type bigint; select 1"
    )
    result = run_dost_bronze()
    assert result.success, step_errors(result)
    drift = check_results(result)[("bronze/dost/campaign", "schema_drift")]
    assert not drift.passed and drift.severity.value == "WARN"
    assert drift.metadata["new_columns"].value == ["operator_note"]
    n = dost_source.scalar("select count(*) from campaign")
    assert fresh_warehouse.scalar("select count(*) from bronze.dost_campaign where operator_note = 'ok'") == n > 0


# ------------------------------------------------------------------------------------ OULAD domains

@pytest.fixture(scope="module")
def oulad_clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_oulad")
    generate_oulad(folder, scale=0.003)
    return folder


@pytest.fixture
def oulad_files(oulad_clean, tmp_path, monkeypatch, fresh_warehouse):
    folder = tmp_path / "oulad"
    shutil.copytree(oulad_clean, folder)
    monkeypatch.setenv("OULAD_SOURCE", str(folder))
    return folder


def edit_csv(path, edit) -> None:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    edit(rows)
    with open(path, "w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


def test_negative_clicks_and_impossible_day_offsets_block_the_marts(oulad_files, fresh_warehouse):
    def spoil(rows):
        header = rows[0]
        rows[1][header.index("sum_click")] = "-500"
        rows[2][header.index("date")] = "99999"
        rows[3][header.index("date")] = "-9999"

    edit_csv(oulad_files / "studentVle.csv", spoil)
    result = materialize_selection(AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold"))
    failed = failed_checks(result)
    assert failed.get("rule_sum_click") == 3  # fct_vle_interactions_clicks_and_days_in_domain, short-named, failed
    for mart in ("mart_weekly_engagement", "mart_scores_vs_clicks", "mart_dropout_risk"):
        assert fresh_warehouse.scalar("select to_regclass(%s) is null", (f"gold.{mart}",)), f"{mart} was built on bad clicks"


def test_runaway_course_code_and_scores_out_of_range_block(oulad_files, fresh_warehouse):
    edit_csv(oulad_files / "courses.csv", lambda rows: rows.append(["M" * 2_000_000, "2014J", "262"]))

    def score_150(rows):
        index = rows[0].index("score")
        rows[1][index] = "150"

    edit_csv(oulad_files / "studentAssessment.csv", score_150)
    silver = [AssetKey(["silver", "oulad", m]) for m in ("stg_oulad__courses", "stg_oulad__student_assessment", "stg_oulad__assessments")]
    result = materialize_selection(AssetSelection.groups("oulad_bronze") | AssetSelection.assets(*silver))
    failed = failed_checks(result)
    assert failed.get("rule_length") == 1  # oulad_courses_codes_of_sane_length, short-named, failed
    assert [n for check, n in failed.items() if "score" in check] == [1], failed
    assert fresh_warehouse.scalar("select to_regclass('gold.dim_module') is null")


# --------------------------------------------------------------------------------- files and their root

def outside_file(tmp_path) -> str:
    target = tmp_path / "elsewhere" / "system.conf"
    target.parent.mkdir()
    target.write_text(f"root:x:0:0:{SECRET}:/root:/bin/sh\n")
    return str(target)


def test_symlink_out_of_the_oulad_folder_is_refused_by_name_without_quoting_its_target(oulad_files, tmp_path):
    (oulad_files / "vle.csv").unlink()
    os.symlink(outside_file(tmp_path), oulad_files / "vle.csv")
    message = failure(materialize_selection(AssetSelection.groups("oulad_bronze")))
    assert "vle.csv" in message and "symbolic link resolving outside the source root" in message, message[-1500:]
    assert SECRET not in message and "root:x" not in message


def test_bad_line_is_quoted_only_as_a_short_sanitised_prefix(oulad_files):
    def spoil(rows):
        rows[5] = rows[5] + ["\x1b[31m" + "x" * 60 + SECRET]

    edit_csv(oulad_files / "studentVle.csv", spoil)
    message = failure(materialize_selection(AssetSelection.groups("oulad_bronze")))
    assert "studentVle" in message and "line 6" in message, message[-1500:]
    assert SECRET not in message and "\x1b" not in message


def test_header_of_a_foreign_file_is_quoted_short(oulad_files):
    (oulad_files / "courses.csv").write_text(f"{'h' * 100}{SECRET},b\n1,2\n")
    message = failure(materialize_selection(AssetSelection.groups("oulad_bronze")))
    assert "courses.csv" in message and "lacks column(s)" in message
    assert SECRET not in message


@pytest.fixture
def course_landing(tmp_path, monkeypatch, fresh_warehouse):
    root = tmp_path / "landing"
    udacity_generator.write_dimensions(root, ["data_science"], 0.005)
    udacity_generator.write_month(root, "data_science", "2026-08", 0.005)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    return root


def test_symlinked_course_folder_out_of_the_root_is_refused(course_landing, tmp_path):
    from dagster import DagsterInstance

    month = course_landing / "data_science" / "2026" / "08"
    elsewhere = tmp_path / "elsewhere_month"
    shutil.move(str(month), elsewhere)
    os.symlink(elsewhere, month)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["data_science"])
    result = materialize_selection(AssetSelection.groups("udacity_bronze") - AssetSelection.assets(udacity_dims_bronze),
                                   instance=instance, partition_key="2026-08-01|data_science")
    message = failure(result)
    assert "symbolic link resolving outside the source root" in message, message[-1500:]


# ------------------------------------------------------------------------------ dimension history (SCD2)

def _add_column(path, name: bytes, value: bytes) -> int:
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    path.write_bytes(b"\n".join([lines[0] + b"," + name] + [line + b"," + value for line in lines[1:]]) + b"\n")
    return len(lines) - 1


def test_new_course_file_column_is_carried_and_warned_naming_table_and_column(course_landing, fresh_warehouse):
    from dagster import DagsterInstance

    from edu_platform.defs.udacity.assets import udacity_facts_bronze

    n = _add_column(course_landing / "data_science" / "2026" / "08" / "video_log.csv", b"player_version", b"v2")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["data_science"])
    result = materialize_selection(AssetSelection.assets(udacity_facts_bronze), instance=instance,
                                   partition_key="2026-08-01|data_science")
    assert result.success, step_errors(result)
    checks = check_results(result)
    drift = checks[("bronze/udacity/video_log", "schema_drift")]
    assert not drift.passed and drift.severity.value == "WARN"
    assert drift.metadata["new_columns"].value == ["player_version"]
    assert "bronze.udacity_video_log" in drift.description and "player_version" in drift.description
    assert fresh_warehouse.scalar("select count(*) from bronze.udacity_video_log where player_version = 'v2'") == n
    for other in ("project_feedback", "section_feedback", "mentor_activity"):  # the files as declared pass
        assert checks[(f"bronze/udacity/{other}", "schema_drift")].passed, other


def test_course_file_missing_a_declared_column_blocks_naming_file_column_and_table(course_landing, fresh_warehouse):
    path = course_landing / "dimensional_tables" / "videos_dim.csv"
    lines = [line.split(b",") for line in path.read_bytes().rstrip(b"\n").split(b"\n")]
    dropped = lines[0].index(b"position")
    path.write_bytes(b"\n".join(b",".join(c for i, c in enumerate(line) if i != dropped) for line in lines) + b"\n")
    message = failure(materialize_selection(AssetSelection.assets(udacity_dims_bronze)))
    assert "videos_dim.csv: line 1" in message
    assert "lacks column(s) ['position'] declared for bronze table udacity_videos" in message
    assert not fresh_warehouse.scalar("select to_regclass('bronze.udacity_videos') is not null")


def set_user(root, user_id: str, **values) -> None:
    def edit(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[0] == user_id:
                for column, value in values.items():
                    row[header.index(column)] = value

    path = root / "dimensional_tables" / "users_dim.csv"
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    edit(rows)
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_an_older_course_user_version_never_replaces_a_newer_one_and_history_is_kept(course_landing, dim_date_template, tmp_path):
    warehouse = clone_database(dim_date_template, "rel_hostile_scd_wh")
    with open(course_landing / "dimensional_tables" / "users_dim.csv", newline="") as f:
        user = list(csv.reader(f))[1][0]
    dims = AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt)
    with environment(EDU_WAREHOUSE_URL=warehouse.libpq_url(), EDU_DLT_PIPELINES_DIR=str(tmp_path / "dlt")):
        set_user(course_landing, user, country="FR", updated_at="2026-11-20T00:00:00Z")
        first = materialize_selection(dims)
        assert first.success, step_errors(first)
        set_user(course_landing, user, country="JP", updated_at="2026-11-10T00:00:00Z")
        second = materialize_selection(dims)
        assert second.success, step_errors(second)
    assert warehouse.scalar("select country from gold.dim_udacity_user where user_id = %s", (user,)) == "FR"
    history = warehouse.rows(
        "select country, valid_from::date::text, valid_to::date::text, is_current from gold.dim_udacity_user_history"
        " where user_id = %s order by valid_from", (user,),
    )
    assert history == [("JP", "2026-11-10", "2026-11-20", False), ("FR", "2026-11-20", None, True)]
    assert warehouse.scalar("select count(*) from gold.dim_udacity_user_history where is_current") == warehouse.scalar(
        "select count(*) from gold.dim_udacity_user")


def test_an_older_dost_user_version_never_replaces_a_newer_one_and_history_is_kept(dost_template, dim_date_template, tmp_path):
    """A correction arriving with an older updated_at (a clock skew, a replayed export) is kept as history, and the
    current row stays the newest version."""
    source = clone_database(dost_template, "rel_hostile_dost_scd")
    warehouse = clone_database(dim_date_template, "rel_hostile_dost_scd_wh")
    user, updated_at = source.rows(
        "select id, updated_at from users where status = 'active' and updated_at >= '2019-12-03' order by id limit 1")[0]
    everything = AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold")
    with environment(DOST_SOURCE_URL=source.libpq_url(), EDU_WAREHOUSE_URL=warehouse.libpq_url(),
                     EDU_DLT_PIPELINES_DIR=str(tmp_path / "dlt")):
        first = materialize_selection(everything, partition=DOST_RANGE)
        assert first.success, step_errors(first)
        source.scalar("update users set status = 'unsubscribed', unsubscribed_on = updated_at - interval '2 hours',"
                      " updated_at = updated_at - interval '1 hour' where id = %s; select 1", (user,))
        second = materialize_selection(everything, partition=DOST_RANGE)
        assert second.success, step_errors(second)
    assert warehouse.scalar("select status from gold.dim_dost_user where user_id = %s", (user,)) == "active"
    history = warehouse.rows(
        "select status, valid_from = %s, valid_to, is_current from gold.dim_dost_user_history where user_id = %s"
        " order by valid_from", (updated_at, user),
    )
    assert history == [("unsubscribed", False, updated_at, False), ("active", True, None, True)]
    assert not [k for k, v in check_results(second).items() if not v.passed and v.severity.value == "ERROR"]
