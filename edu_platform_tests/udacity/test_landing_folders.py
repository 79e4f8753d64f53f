"""Landing folders validated (issue 18, item 4): every folder under the course-file landing root is part of a
valid partition or reported by name; a nanodegree without a valid month is never registered; a stray
registration is removed once, reported; an operator removes a nanodegree partition from the command line.

Real landed files, a real Dagster instance (ephemeral, or PostgreSQL-backed for the command line)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetMaterialization, DagsterInstance, build_sensor_context
from dagster._core.instance.ref import InstanceRef

from edu_platform.cli import main
from edu_platform.defs.udacity import landing
from edu_platform.synthetic import udacity as generator
from edu_platform.defs.udacity.assets import udacity_facts_bronze
from edu_platform.defs.udacity.schedules import udacity_nanodegree_sensor
from edu_platform.lib.partitions import parse_now
from edu_platform_tests.helpers import make_database

CLI = str(Path(sys.executable).with_name("edu-platform"))
NOW = parse_now("2026-12-02T10:00:00Z")


@pytest.fixture
def root(tmp_path, monkeypatch):
    """data_science with two valid months, and the strays of the hostile corpus beside it."""
    root = tmp_path / "courses"
    for month in ("2026-09", "2026-10"):
        generator.write_month(root, "data_science", month, 0.002)
    generator.write_dimensions(root, ["data_science"], 0.002)
    month = root / "data_science" / "2026" / "10"
    for stray in ("robotics/2026/13", "data_science/2026/00", "data_science/abcd", "Bad-Name/2026/10", "data_science/2027/01"):
        (root / stray).mkdir(parents=True)
    shutil.copy(month / "video_log.csv", root / "robotics" / "2026" / "13")
    shutil.copy(month / "video_log.csv", root / "Bad-Name" / "2026" / "10")
    (month / "notes.txt").write_text("not a course file")
    (root / "README.txt").write_text("stray")
    (root / "dimensional_tables" / "old_users.csv").write_text("x")
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    return root


def test_every_stray_folder_is_reported_by_name_and_never_registered(root):
    scan = landing.scan_landing(now=NOW)
    assert scan.nanodegrees == ["data_science"]
    assert sorted(scan.months["data_science"]) == ["2026-09", "2026-10"]
    expected = {
        f"{root}/robotics/2026/13: not a month folder (01-12)",
        f"{root}/robotics: no valid month folder (2026-09 to 2026-11) with course files; not a nanodegree partition",
        f"{root}/data_science/2026/00: not a month folder (01-12)",
        f"{root}/data_science/abcd: not a year folder (four digits)",
        f"{root}/data_science/2027/01: month 2027-01 has not ended; its partition opens when it does",
        f"{root}/Bad-Name: refused as a nanodegree folder: expected a lower-case identifier",
        f"{root}/data_science/2026/10/notes.txt: not a month file (project_feedback.csv, section_feedback.csv, mentor_activity.csv, video_log.csv)",
        f"{root}/README.txt: a file where nanodegree folders (<nanodegree>/<YYYY>/<MM>/) belong",
        f"{root}/dimensional_tables/old_users.csv: not a dimension file (users_dim.csv, projects_dim.csv, videos_dim.csv)",
    }
    assert set(scan.problems) == expected, set(scan.problems) ^ expected

    instance = DagsterInstance.ephemeral()
    with build_sensor_context(instance=instance) as context:
        result = udacity_nanodegree_sensor(context)
    assert [list(r.partition_keys) for r in result.dynamic_partitions_requests] == [["data_science"]]


def test_a_stray_registration_is_removed_once_and_reported(root, capsys):
    """Older versions registered `robotics` from robotics/2026/13: it loaded nothing, so it goes, with one line."""
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["robotics"])
    lines = []
    assert landing.register_partitions(instance, log=lines.append) == ["data_science"]
    assert sorted(instance.get_dynamic_partitions("nanodegree")) == ["data_science"]
    removed = [line for line in lines if "removed nanodegree partition" in line]
    assert removed == [f"landing: removed nanodegree partition robotics: {root}/robotics holds no valid month and nothing was loaded from it"]
    lines.clear()
    landing.register_partitions(instance, log=lines.append)
    assert not [line for line in lines if "removed" in line]  # reported once

    # the sensor does the same for the daemon
    instance.add_dynamic_partitions("nanodegree", ["robotics"])
    with build_sensor_context(instance=instance) as context:
        result = udacity_nanodegree_sensor(context)
    assert [(r.partitions_def_name, list(r.partition_keys)) for r in result.dynamic_partitions_requests] == [("nanodegree", ["robotics"])]
    assert type(result.dynamic_partitions_requests[0]).__name__ == "DeleteDynamicPartitionsRequest"


def test_a_nanodegree_that_loaded_data_stays_until_an_operator_removes_it(root, tmp_path, monkeypatch, capsys):
    """Its folder gone, a nanodegree that loaded data is kept (its rows are in the warehouse): `edu-platform
    partitions list` shows it, `edu-platform partitions remove nanodegree NAME` removes it."""
    storage = make_database("landing_cli_dagster")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "dagster.yaml", home / "dagster.yaml")
    env = {
        "EDU_DAGSTER_STORAGE_URL": storage.sqlalchemy_url(), "DAGSTER_HOME": str(home),
        "EDU_DAGSTER_ARTIFACTS_DIR": str(home / "artifacts"), "EDU_DAGSTER_COMPUTE_LOGS_DIR": str(home / "logs"),
        "EDU_NOW": "2026-12-02T10:00:00Z",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions("nanodegree", ["cybersecurity", "data_science"])
        for key in udacity_facts_bronze.keys:
            instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition="2026-10-01|cybersecurity"))
        landing.register_partitions(instance, log=lambda line: None)
        assert sorted(instance.get_dynamic_partitions("nanodegree")) == ["cybersecurity", "data_science"]

    listed = subprocess.run([CLI, "partitions", "list"], env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "nanodegree: 2 registered: cybersecurity, data_science" in listed.stdout
    assert "monthly partitions from 2026-09-01: 3, newest 2026-11-01; the next, 2026-12-01, opens on 2027-01-01" in listed.stdout
    assert f"landing: {root}/robotics/2026/13: not a month folder (01-12)" in listed.stdout

    def cli(*args):  # the same command, in this process
        code = main(["partitions", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = cli("remove", "nanodegree", "cybersecurity")
    assert code == 0 and out.startswith("removed nanodegree partition cybersecurity:"), out
    code, _, err = cli("remove", "nanodegree", "cybersecurity")
    assert code == 2
    assert err.strip() == "edu-platform: error: nanodegree 'cybersecurity' is not registered (registered: data_science)"
    code, out, _ = cli("remove", "nanodegree", "data_science")  # its folder is still there: the next run adds it again
    assert code == 0 and "move it out of the landing root" in out
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.get_dynamic_partitions("nanodegree") == []
    code, _, err = cli("remove", "month", "2026-10-01")
    assert code == 2 and "unknown partition dimension 'month': dynamic dimensions are nanodegree" in err
