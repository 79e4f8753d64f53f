"""The bad-input corpus of the course files (Udacity-like); the other sources' cases sit beside them
(`oulad/test_oulad_bad_input.py`, `dost/test_dost_bad_input.py`).

Every hostile input is made in code from a clean, tiny landing and must get its outcome: a clear error naming
the file and the line, or a failing check that says how many rows; never a bare crash, never good rows
silently dropped. Real dlt, dbt, PostgreSQL and Dagster runs.
"""

import re
import shutil

import pytest
from dagster import AssetSelection, DagsterInstance

from edu_platform.synthetic import udacity as udacity_generator
from edu_platform.defs.udacity.assets import udacity_facts_bronze
from edu_platform.defs.udacity.landing import discover_nanodegrees, register_partitions
from edu_platform.defs.udacity.settings import DIMENSION, month_folder
from edu_platform_tests.helpers import check_results, failure, last_cause, materialize_selection, step_errors

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
