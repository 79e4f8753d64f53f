"""Malformed OULAD files: a clear error naming the file and line, or quarantine with a failing blocking
check that says how many rows; never a silent skip, never gold built on top."""

import shutil

import pytest
from dagster import AssetSelection

from edu_platform.synthetic.oulad import generate
from edu_platform_tests.helpers import check_results, materialize_selection, materialized_keys, started_steps, step_errors

BRONZE = AssetSelection.groups("oulad_bronze")
ALL = AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold")


@pytest.fixture(scope="module")
def clean_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad_clean")
    counts = generate(folder, scale=0.003)
    return folder, counts


@pytest.fixture
def files(clean_files, tmp_path, monkeypatch, fresh_warehouse):
    folder = tmp_path / "oulad"
    shutil.copytree(clean_files[0], folder)
    monkeypatch.setenv("OULAD_SOURCE", str(folder))
    return folder


def _edit_line(path, number, edit):
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = edit(lines[number - 1])
    path.write_bytes(b"\n".join(lines))


def _error(result) -> str:
    assert not result.success
    return "\n".join(step_errors(result))


@pytest.mark.parametrize(
    "name, mutate, expected",
    [
        ("extra column on a row", lambda f: _edit_line(f / "vle.csv", 4, lambda l: l + b',"9"'),
         ["vle.csv", "line 4", "extra data after last expected column"]),
        ("missing column on a row", lambda f: _edit_line(f / "studentRegistration.csv", 5, lambda l: l.rsplit(b",", 1)[0]),
         ["studentRegistration.csv", "line 5", "missing data for column"]),
        ("missing file", lambda f: (f / "studentVle.csv").unlink(), ["missing file studentVle.csv"]),
        ("empty file", lambda f: (f / "courses.csv").write_bytes(b""), ["courses.csv", "empty file"]),
        ("header does not match", lambda f: _edit_line(f / "assessments.csv", 1, lambda l: l.replace(b'"weight"', b'"wieght"')),
         ["assessments.csv", "line 1", "lacks column(s) ['weight']"]),
        ("non-UTF-8 bytes", lambda f: _edit_line(f / "studentInfo.csv", 3, lambda l: l.replace(b'"M"', b'"\xe9\xff"').replace(b'"F"', b'"\xe9\xff"')),
         ["studentInfo.csv", "line 3", "invalid byte sequence"]),
        ("truncated last line", lambda f: (f / "studentAssessment.csv").write_bytes((f / "studentAssessment.csv").read_bytes().rstrip(b"\n")[:-3]),
         ["studentAssessment.csv", "unterminated CSV quoted field"]),
    ],
)
def test_malformed_file_fails_naming_file_and_line(files, name, mutate, expected):
    mutate(files)
    result = materialize_selection(BRONZE)
    message = _error(result)
    assert "LandedFileError" in message, name
    for fragment in expected:
        assert fragment in message, (name, fragment, message[-800:])


def test_non_numeric_value_is_quarantined_and_blocks_gold(files, fresh_warehouse):
    _edit_line(files / "studentAssessment.csv", 6, lambda l: l.rsplit(b",", 1)[0] + b',"n/a"')
    _edit_line(files / "studentAssessment.csv", 9, lambda l: l.rsplit(b",", 1)[0] + b',"12x"')
    result = materialize_selection(ALL)
    evaluation = check_results(result)[("bronze/oulad/student_assessment", "numeric_values")]
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 2
    assert "oulad_dbt" not in started_steps(result)
    # the bad rows are kept (not dropped) in bronze, and no gold exists on top of them
    assert fresh_warehouse.scalar("select count(*) from bronze.oulad_student_assessment where score in ('n/a', '12x')") == 2
    # no OULAD gold: only the shared calendar, which has no upstream and so is built apart from any source
    assert fresh_warehouse.scalar("select array_agg(table_name::text) from information_schema.tables where table_schema = 'gold'") == ["dim_date"]


def test_numbers_silver_could_not_cast_are_quarantined_naming_column_and_value(files, fresh_warehouse):
    """A fraction in a whole-number column and a day offset beyond 32 bits are numbers, but not of the types silver
    casts them to: bronze's check names the column, its type and the value, and no model runs on them."""
    _edit_line(files / "studentVle.csv", 6, lambda l: l.rsplit(b",", 1)[0] + b',"2.5"')
    _edit_line(files / "studentVle.csv", 9, lambda l: l.rsplit(b",", 2)[0] + b',"3000000000",' + l.rsplit(b",", 1)[1])
    result = materialize_selection(ALL)
    evaluation = check_results(result)[("bronze/oulad/student_vle", "numeric_values")]
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 2
    assert evaluation.metadata["invalid_by_column"].value == {"sum_click": 1, "date": 1}
    assert "sum_click (integer): 1 rows" in evaluation.description and "date (integer): 1 rows" in evaluation.description
    samples = evaluation.metadata["sample_values"].value
    assert any(v.endswith("|2.5") for v in samples) and any("|3000000000|" in v for v in samples), samples
    assert "oulad_dbt" not in started_steps(result)
    passed = check_results(result)[("bronze/oulad/student_info", "numeric_values")]
    assert passed.passed and passed.metadata["failing_rows"].value == 0


def test_injected_duplicate_keys_fail_blocking_check_and_stop_downstream(files, fresh_warehouse):
    info = files / "studentInfo.csv"
    lines = info.read_bytes().rstrip(b"\n").split(b"\n")
    info.write_bytes(b"\n".join(lines + lines[1:4]) + b"\n")
    result = materialize_selection(ALL)
    evaluation = check_results(result)[("bronze/oulad/student_info", "duplicate_keys")]
    assert not evaluation.passed
    assert evaluation.metadata["duplicate_keys"].value == 3
    assert len(evaluation.metadata["sample_keys"].value) == 3
    assert "oulad_dbt" not in started_steps(result)
    assert not result.success


def test_keys_equal_once_trimmed_fail_the_silver_unique_check_with_the_key(files, fresh_warehouse):
    """Two courses whose codes differ only by a blank pass bronze's key check (bronze keeps the landed text) and
    collide in silver, which trims them: dbt's unique test fails, with the count and the duplicated key named."""
    courses = files / "courses.csv"
    lines = courses.read_bytes().rstrip(b"\n").split(b"\n")
    module, rest = lines[1].split(b",", 1)
    courses.write_bytes(b"\n".join([*lines, module[:-1] + b' "' + b"," + rest]) + b"\n")
    result = materialize_selection(ALL)
    evaluation = check_results(result)[("silver/oulad/stg_oulad__courses", "unique_presentation_key")]
    assert not evaluation.passed
    assert evaluation.metadata["dagster_dbt/failed_row_count"].value == 1
    code_module, code_presentation = (v.strip(b'"').decode() for v in (module, rest.split(b",")[0]))
    key = f"{code_module}_{code_presentation}"
    assert evaluation.metadata["failing_keys_sample"].value == f"presentation_key={key}, n_records=2", evaluation.metadata
    assert "fct_registrations" not in str(materialized_keys(result))  # blocking: gold not built on the duplicate


def test_null_key_fails_required_check(files, fresh_warehouse):
    _edit_line(files / "studentVle.csv", 7, lambda l: b'"AAA","2013J","",' + l.split(b",", 3)[3])
    result = materialize_selection(BRONZE)
    evaluation = check_results(result)[("bronze/oulad/student_vle", "required_not_null")]
    assert not evaluation.passed
    assert evaluation.metadata["failing_rows"].value == 1


@pytest.mark.parametrize("variant", ["crlf", "bom", "header_only"])
def test_tolerated_variants_load_every_row(files, fresh_warehouse, clean_files, variant):
    path = files / "courses.csv"
    raw = path.read_bytes()
    if variant == "crlf":
        path.write_bytes(raw.replace(b"\n", b"\r\n"))
        expected = clean_files[1]["courses"]
    elif variant == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + raw)
        expected = clean_files[1]["courses"]
    else:
        path.write_bytes(raw.split(b"\n", 1)[0] + b"\n")
        expected = 0
    result = materialize_selection(BRONZE)
    assert result.success, step_errors(result)
    assert fresh_warehouse.scalar("select count(*) from bronze.oulad_courses") == expected
    assert fresh_warehouse.scalar("select count(*) from bronze.oulad_courses where code_module like '%\r%' or module_presentation_length like '%\r%'") == 0


def test_new_column_is_carried_through_bronze_and_reported(files, fresh_warehouse):
    path = files / "courses.csv"
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    path.write_bytes(b"\n".join([lines[0] + b',"campus"'] + [l + b',"Milton Keynes"' for l in lines[1:]]) + b"\n")
    result = materialize_selection(BRONZE)
    assert result.success, step_errors(result)
    assert fresh_warehouse.scalar("select count(*) from bronze.oulad_courses where campus = 'Milton Keynes'") == len(lines) - 1
    drift = check_results(result)[("bronze/oulad/courses", "schema_drift")]
    assert not drift.passed and drift.metadata["new_columns"].value == ["campus"]
