"""Schema drift on the course files, from each table's declaration: a landed file with a column the declaration
does not name loads it and the warning check `schema_drift` names the table and the column; a file missing a
declared column blocks the load, naming the file, the column and the bronze table."""

import shutil

import pytest
from dagster import AssetSelection, DagsterInstance

from edu_platform.defs.udacity.assets import udacity_dims_bronze, udacity_facts_bronze
from edu_platform.defs.udacity.settings import DIMENSION
from edu_platform.synthetic import udacity as generator
from edu_platform_tests.helpers import check_results, materialize_selection, step_errors

NANODEGREE, MONTH = "data_science", "2026-08"


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("udacity_drift")
    generator.write_dimensions(root, [NANODEGREE], 0.003)
    generator.write_month(root, NANODEGREE, MONTH, 0.003)
    return root


@pytest.fixture
def root(clean_landing, tmp_path, monkeypatch, fresh_warehouse):
    root = tmp_path / "landing"
    shutil.copytree(clean_landing, root)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    return root


def _add_column(path, name: bytes, value: bytes) -> int:
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    path.write_bytes(b"\n".join([lines[0] + b"," + name] + [line + b"," + value for line in lines[1:]]) + b"\n")
    return len(lines) - 1


def test_an_extra_column_in_a_course_file_is_carried_and_reported_by_table_and_column(root, fresh_warehouse):
    n = _add_column(root / NANODEGREE / "2026" / "08" / "video_log.csv", b"player_version", b"v2")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DIMENSION, [NANODEGREE])
    result = materialize_selection(AssetSelection.assets(udacity_facts_bronze), instance=instance,
                                   partition_key=f"{MONTH}-01|{NANODEGREE}")
    assert result.success, step_errors(result)
    checks = check_results(result)
    drift = checks[("bronze/udacity/video_log", "schema_drift")]
    assert not drift.passed and drift.severity.value == "WARN"
    assert drift.metadata["new_columns"].value == ["player_version"]
    assert "bronze.udacity_video_log" in drift.description and "player_version" in drift.description
    assert fresh_warehouse.scalar("select count(*) from bronze.udacity_video_log where player_version = 'v2'") == n
    for other in ("project_feedback", "section_feedback", "mentor_activity"):  # the files as declared pass
        assert checks[(f"bronze/udacity/{other}", "schema_drift")].passed, other


def test_a_dimension_file_missing_a_declared_column_blocks_naming_file_column_and_table(root, fresh_warehouse):
    path = root / "dimensional_tables" / "videos_dim.csv"
    lines = [line.split(b",") for line in path.read_bytes().rstrip(b"\n").split(b"\n")]
    dropped = lines[0].index(b"position")
    path.write_bytes(b"\n".join(b",".join(c for i, c in enumerate(line) if i != dropped) for line in lines) + b"\n")
    result = materialize_selection(AssetSelection.assets(udacity_dims_bronze))
    assert not result.success
    message = "\n".join(step_errors(result))
    assert "videos_dim.csv: line 1" in message
    assert "lacks column(s) ['position'] declared for bronze table udacity_videos" in message
    assert not fresh_warehouse.scalar("select to_regclass('bronze.udacity_videos') is not null")
