"""The bad-input corpus for the course files (Udacity-like) and the Dost database, beyond the OULAD cases in
`edu_platform_tests/oulad/test_oulad_bad_input.py`.

Every hostile input is made in code from a clean, tiny landing (or source database) and must get its
outcome: a clear error naming the file (or table) and the line (or row), or a failing check that says how
many rows; never a bare crash, never good rows silently dropped. Real dlt, dbt, PostgreSQL and Dagster runs.
"""

import re
import shutil

import psycopg2
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance

from edu_platform.synthetic import dost as dost_generator
from edu_platform.synthetic import udacity as udacity_generator
from edu_platform.defs.udacity.assets import udacity_facts_bronze
from edu_platform.defs.udacity.landing import discover_nanodegrees, register_partitions
from edu_platform.defs.udacity.settings import DIMENSION, month_folder
from edu_platform_tests.conftest import make_database
from edu_platform_tests.helpers import check_results, materialize_selection, started_steps, step_errors
from edu_platform_tests.reliability.run_graph import partition_args
from edu_platform_tests.reliability.support import clone_database, environment

# ------------------------------------------------------------------------------------ course files

NANODEGREE, MONTH = "data_science", "2026-08"
PARTITION = f"{MONTH}-01|{NANODEGREE}"
FACTS_BRONZE = AssetSelection.assets(udacity_facts_bronze)
FACT_FILES = ("project_feedback", "section_feedback", "mentor_activity", "video_log")


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("udacity_clean")
    udacity_generator.write_dimensions(root, [NANODEGREE], 0.005)
    counts = udacity_generator.write_month(root, NANODEGREE, MONTH, 0.005)
    assert all(counts[stem] >= 3 for stem in FACT_FILES), counts
    return root, counts


@pytest.fixture
def landing(clean_landing, tmp_path, monkeypatch, fresh_warehouse):
    """A copy of the clean landing to spoil; returns the month folder."""
    root = tmp_path / "landing"
    shutil.copytree(clean_landing[0], root)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    return root / NANODEGREE / MONTH[:4] / MONTH[5:]


def load_month(partition: str = PARTITION, nanodegree: str = NANODEGREE):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DIMENSION, [nanodegree])
    return materialize_selection(FACTS_BRONZE, instance=instance, partition_key=partition)


def failure(result) -> str:
    assert not result.success, "the run succeeded"
    errors = step_errors(result)
    assert errors, "the run failed without a step error"
    return "\n".join(errors)


def last_cause(message: str) -> str:
    """The exception lines of a Dagster step error, outermost first, without stack frames."""
    lines = [l for l in message.splitlines() if re.match(r"^[\w.]+(Error|Exception|Failed)\b.*: ", l)]
    return " | ".join(dict.fromkeys(lines)) or message[-300:]


def rows_of(path) -> list[bytes]:
    return path.read_bytes().rstrip(b"\n").split(b"\n")


def write_rows(path, rows: list[bytes], end: bytes = b"\n") -> None:
    path.write_bytes(b"\n".join(rows) + end)


def bronze_count(wh, stem: str) -> int:
    if not wh.scalar("select to_regclass(%s) is not null", (f"bronze.udacity_{stem}",)):
        return 0
    return wh.scalar(f"select count(*) from bronze.udacity_{stem}")


def assert_names_file_and_line(message: str, file_name: str, line: int) -> None:
    assert "LandedFileError" in message, last_cause(message)
    assert file_name in message, (file_name, last_cause(message))
    assert re.search(rf"\bline {line}\b", message), f"the error does not name line {line}: {last_cause(message)}"


def test_course_row_with_wrong_column_count_names_file_and_line(landing):
    path = landing / "video_log.csv"
    rows = rows_of(path)
    rows[4] += b",surplus"  # line 5
    write_rows(path, rows)
    assert_names_file_and_line(failure(load_month()), "video_log.csv", 5)


def test_course_file_missing_a_column_is_refused_at_its_header(landing):
    path = landing / "project_feedback.csv"
    rows = [r.split(b",") for r in rows_of(landing / "project_feedback.csv")]
    assert rows[0][4] == b"rating"
    write_rows(path, [b",".join(r[:4] + r[5:]) for r in rows])
    message = failure(load_month())
    assert_names_file_and_line(message, "project_feedback.csv", 1)
    assert "lacks column(s) ['rating']" in message


def test_course_rows_of_question_marks_and_empty_strings_are_counted_not_dropped(landing, fresh_warehouse, clean_landing):
    path = landing / "section_feedback.csv"
    rows = rows_of(path)
    width = len(rows[0].split(b","))
    write_rows(path, rows + [b",".join([b"?"] * width), b",".join([b""] * width)])
    result = load_month()
    evaluation = check_results(result)[("bronze/udacity/section_feedback", "required_not_null")]
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 2
    assert "2 rows" in evaluation.description
    # every good row is there, and the two bad ones are kept (quarantined in bronze, not dropped)
    assert bronze_count(fresh_warehouse, "section_feedback") == clean_landing[1]["section_feedback"] + 2


@pytest.mark.parametrize("variant", ["bom", "crlf"])
def test_course_file_with_bom_or_crlf_loads_every_row_clean(landing, fresh_warehouse, clean_landing, variant):
    path = landing / "video_log.csv"
    raw = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + raw if variant == "bom" else raw.replace(b"\n", b"\r\n"))
    result = load_month()
    assert result.success, step_errors(result)
    wh = fresh_warehouse
    assert bronze_count(wh, "video_log") == clean_landing[1]["video_log"]
    assert wh.scalar("select count(*) from bronze.udacity_video_log where event_id not like 'data_science-%'") == 0
    assert wh.scalar(
        "select count(*) from bronze.udacity_video_log where seconds_watched !~ '^[0-9.]+$' or event_id like '%' || chr(65279) || '%'"
    ) == 0


def test_course_file_not_utf8_names_file_and_line(landing):
    path = landing / "section_feedback.csv"
    rows = rows_of(path)
    rows[2] = rows[2].replace(b",", b",\xe9\xff", 1)  # line 3: Latin-1 bytes in the user id
    write_rows(path, rows)
    assert_names_file_and_line(failure(load_month()), "section_feedback.csv", 3)


def test_course_empty_file_names_the_file(landing, fresh_warehouse):
    (landing / "mentor_activity.csv").write_bytes(b"")
    message = failure(load_month())
    assert "LandedFileError" in message and "mentor_activity.csv" in message and "empty file" in message
    assert bronze_count(fresh_warehouse, "video_log") == 0  # no half-loaded partition


def test_course_header_only_file_loads_an_empty_table_and_the_others_whole(landing, fresh_warehouse, clean_landing):
    path = landing / "project_feedback.csv"
    path.write_bytes(rows_of(path)[0] + b"\n")
    result = load_month()
    assert result.success, step_errors(result)
    assert bronze_count(fresh_warehouse, "project_feedback") == 0
    for stem in ("section_feedback", "mentor_activity", "video_log"):
        assert bronze_count(fresh_warehouse, stem) == clean_landing[1][stem], stem


@pytest.mark.parametrize("variant", ["mid_row", "inside_quoted_text"])
def test_course_truncated_last_line_names_file_and_line(landing, fresh_warehouse, variant):
    if variant == "mid_row":
        path = landing / "video_log.csv"
        rows = rows_of(path)
        rows[-1] = rows[-1][: rows[-1].index(b"T")]  # cut inside event_ts: the row lacks its last columns
    else:
        path = landing / "mentor_activity.csv"
        rows = rows_of(path)
        # a row whose answer (the quoted text before the last column) is cut: the file ends inside a quote
        last = max(i for i, r in enumerate(rows) if r.endswith(b'Z') and b',"' in r.rsplit(b",", 1)[0])
        rows = rows[: last + 1]
        cut = rows[-1].rsplit(b",", 1)[0]
        rows[-1] = cut[: cut.rindex(b",\"") + 6]
    write_rows(path, rows, end=b"")
    message = failure(load_month())
    assert_names_file_and_line(message, path.name, len(rows))
    assert bronze_count(fresh_warehouse, path.stem) == 0


def test_course_duplicate_rows_fail_the_key_check_with_counts(landing, fresh_warehouse, clean_landing):
    path = landing / "project_feedback.csv"
    rows = rows_of(path)
    write_rows(path, rows + rows[1:3])
    result = load_month()
    evaluation = check_results(result)[("bronze/udacity/project_feedback", "duplicate_keys")]
    assert not evaluation.passed
    assert evaluation.metadata["duplicate_keys"].value == 2
    assert evaluation.metadata["failing_rows"].value == 4
    assert bronze_count(fresh_warehouse, "project_feedback") == clean_landing[1]["project_feedback"] + 2


def test_course_null_key_fails_the_required_check(landing, fresh_warehouse, clean_landing):
    path = landing / "mentor_activity.csv"
    rows = rows_of(path)
    rows[2] = b"," + rows[2].split(b",", 1)[1]  # question_id empty
    write_rows(path, rows)
    result = load_month()
    evaluation = check_results(result)[("bronze/udacity/mentor_activity", "required_not_null")]
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 1
    assert evaluation.metadata["missing_by_column"].value == {"question_id": 1}
    assert bronze_count(fresh_warehouse, "mentor_activity") == clean_landing[1]["mentor_activity"]


def test_course_month_folder_missing_a_file_names_it_and_loads_nothing(landing, fresh_warehouse):
    (landing / "section_feedback.csv").unlink()
    message = failure(load_month())
    assert "LandedFileError" in message
    assert "missing file section_feedback.csv" in message and f"{NANODEGREE}/{MONTH[:4]}/{MONTH[5:]}" in message
    for stem in FACT_FILES:  # all or nothing: the partition is not half loaded
        assert bronze_count(fresh_warehouse, stem) == 0, stem


@pytest.mark.parametrize("name", ["x'; drop table gold.fct_dost_calls; --", "../../etc"])
def test_hostile_nanodegree_name_is_refused_before_sql_or_path(landing, fresh_warehouse, name):
    root = landing.parents[2]
    fresh_warehouse.scalar("create schema gold; create table gold.fct_dost_calls (id int); insert into gold.fct_dost_calls values (1); select 1")
    if "/" not in name:  # a folder can carry this name: discovery refuses it, the sensor never registers it
        shutil.copytree(landing, root / name / MONTH[:4] / MONTH[5:])
        valid, refused = discover_nanodegrees(str(root))
        assert valid == [NANODEGREE] and refused == [name]
        instance = DagsterInstance.ephemeral()
        assert register_partitions(instance) == [NANODEGREE]
        assert name not in instance.get_dynamic_partitions(DIMENSION)
    with pytest.raises(ValueError, match="invalid nanodegree name"):
        month_folder(str(root), name, MONTH)
    # an operator who adds the partition by hand gets the same refusal from the run, before any SQL or path
    message = failure(load_month(f"{MONTH}-01|{name}", nanodegree=name))
    assert "invalid nanodegree name" in message and repr(name) in message
    assert fresh_warehouse.scalar("select count(*) from gold.fct_dost_calls") == 1
    for stem in FACT_FILES:
        assert bronze_count(fresh_warehouse, stem) == 0


# -------------------------------------------------------------------------------------------- Dost

DOST_START, DOST_RANGE = "2019-12-02", "2019-12-02...2019-12-09"
DOST_BRONZE = AssetSelection.groups("dost_bronze")
DOST_ALL = AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold")


@pytest.fixture(scope="module")
def dost_template():
    """A clean two-week Dost source, cloned for every case."""
    db = make_database("rel_bad_dost")
    dost_generator.generate(db, scale=0.3, weeks=2, start=DOST_START)
    return db


@pytest.fixture
def dost_case_source(dost_template, request, monkeypatch):
    db = clone_database(dost_template, f"rel_bad_dost_{request.node.name[-12:].strip('[]').lower()}"[:60])
    monkeypatch.setenv("DOST_SOURCE_URL", db.libpq_url())
    yield db
    db.drop_database()


def run_dost(selection, warehouse=None):
    if warehouse is None:
        return materialize_selection(selection, **partition_args(DOST_RANGE))
    with environment(EDU_WAREHOUSE_URL=warehouse.libpq_url()):
        return materialize_selection(selection, **partition_args(DOST_RANGE))


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
