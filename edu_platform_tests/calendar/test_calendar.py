"""The calendar moves on: defaults, refusals and partition checks computed from the platform clock, with the
clock frozen at several dates (the first day of a month, a Monday, the middle of a week, a year ahead).

Real parts: a real generated Dost database, real landed course files, Dagster's own partitions definitions,
and the `edu-platform` command line in a subprocess with EDU_NOW set."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from dagster import DagsterInstance, build_schedule_context, instance_for_test

from edu_platform.synthetic import dost as dost_generator
from edu_platform.synthetic import udacity as udacity_generator
from edu_platform.defs.udacity import landing as udacity_landing
from edu_platform.lib import partitions
from edu_platform_tests.helpers import CLI, cli_environment_at, make_database

UTC = dt.timezone.utc

# (moment, the Monday starting the last complete week, the last complete month)
DATES = [
    ("2026-12-01T00:00:30Z", "2026-11-23", "2026-11"),  # first day of a month (a Tuesday), just after midnight
    ("2026-11-30T10:00:00Z", "2026-11-23", "2026-10"),  # a Monday: the week just ended is complete
    ("2026-11-26T15:00:00Z", "2026-11-16", "2026-10"),  # the middle of a week
    ("2027-12-01T10:00:00Z", "2027-11-22", "2027-11"),  # a year after
    ("2027-01-01T00:00:00Z", "2026-12-21", "2026-12"),  # new year, on the stroke of midnight
]


def at(moment: str) -> dt.datetime:
    return partitions.parse_now(moment)


@pytest.mark.fast
@pytest.mark.parametrize("moment,week,month", DATES)
def test_last_complete_periods_follow_the_clock(moment, week, month):
    now = at(moment)
    assert partitions.last_complete_week(now).isoformat() == week
    assert partitions.last_complete_month(now) == month
    # the newest partition Dagster opens is the same period
    weekly = partitions.weekly_partitions("2019-01-07")
    assert partitions.last_complete_window(weekly, now).start.date().isoformat() == week
    assert udacity_generator.default_months(now=now)[-1] == month
    assert len(udacity_generator.default_months(now=now)) == udacity_generator.DEFAULT_MONTHS
    assert dost_generator.default_start(208, now) == dt.date.fromisoformat(week) + dt.timedelta(weeks=1 - 208)


@pytest.mark.fast
def test_edu_now_starts_the_clock_and_dagster_follows(tmp_path):
    """Across processes: EDU_NOW sets the platform clock and Dagster's partition clock alike."""
    code = (
        "from edu_platform.lib import partitions as p;"
        "from edu_platform.defs.dost.assets import dost_weekly_partitions as w;"
        "print(p.utc_now().date(), p.last_complete_month(), w.get_last_partition_key())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "EDU_NOW": "2027-12-01T10:00:00Z"},
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out == ["2027-12-01", "2027-11", "2027-11-22"]
    with pytest.raises(ValueError, match="expected an ISO date"):
        partitions.parse_now("next tuesday")


# ------------------------------------------------------------------------ partitions that do not exist yet


@pytest.mark.fast
@pytest.mark.parametrize("moment,week,month", DATES)
def test_a_partition_not_open_yet_names_the_day_it_opens(moment, week, month):
    now, instance = at(moment), DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["data_science"])
    weekly = partitions.weekly_partitions("2019-01-07")
    partitions.validate_partition_key(weekly, week, instance, now)  # the newest week exists
    current = (dt.date.fromisoformat(week) + dt.timedelta(weeks=1)).isoformat()
    opens = (dt.date.fromisoformat(week) + dt.timedelta(weeks=2)).isoformat()
    with pytest.raises(ValueError) as error:
        partitions.validate_partition_key(weekly, current, instance, now)
    assert str(error.value) == f"partition {current} does not exist yet: it opens on {opens}, once its period has ended"

    monthly = partitions.monthly_by_dimension("2026-08-01", "nanodegree")
    partitions.validate_partition_key(monthly, f"{month}-01|data_science", instance, now)
    year, mon = int(month[:4]), int(month[5:])
    current = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01"
    nxt = dt.date.fromisoformat(current)
    opens = dt.date(nxt.year + nxt.month // 12, nxt.month % 12 + 1, 1).isoformat()
    with pytest.raises(ValueError, match=f"^partition {current}\\|data_science does not exist yet: it opens on {opens}"):
        partitions.validate_partition_key(monthly, f"{current}|data_science", instance, now)


@pytest.mark.fast
@pytest.mark.parametrize(
    "key,message",
    [
        ("2026-11", "unknown partition '2026-11': keys look like 2026-08-01|data_science (month|nanodegree)"),
        ("2026-13-01|data_science", "monthly keys are the first day of the month, e.g. 2026-08-01"),
        ("2026-10-15|data_science", "2026-10-15 lies in the one starting 2026-10-01"),
        ("2026-01-01|data_science", "the first partition is 2026-08-01"),
        ("2026-10-01|robotics", "nanodegree 'robotics' is not registered (registered: data_science)"),
    ],
)
def test_unknown_keys_say_what_keys_look_like(key, message):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("nanodegree", ["data_science"])
    monthly = partitions.monthly_by_dimension("2026-08-01", "nanodegree")
    with pytest.raises(ValueError) as error:
        partitions.validate_partition_key(monthly, key, instance, at("2026-12-02"))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_run_with_a_partition_not_open_yet_is_a_one_line_error(tmp_path):
    """`edu-platform run --partition` for the current week: exit 2, one `edu-platform: error:` line, no traceback."""
    env = cli_environment_at(tmp_path, "2026-12-02T10:00:00Z")
    (tmp_path / "none").mkdir()
    # sources configured, so nothing synthetic is generated first
    env.update(OULAD_SOURCE=str(tmp_path / "none"), UDACITY_SOURCE=str(tmp_path / "none"), DOST_SOURCE_URL=env["EDU_WAREHOUSE_URL"])
    done = subprocess.run(
        [CLI, "run", "--select", "group:dost_bronze", "--partition", "2026-11-30"], env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == (
        "edu-platform: error: partition 2026-11-30 does not exist yet: it opens on 2026-12-07, once its period has ended"
    )
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------ synthetic sources never write the future


@pytest.mark.parametrize("moment", ["2026-11-30T10:00:00Z", "2026-11-26T15:00:00Z", "2027-12-01T10:00:00Z"])
def test_default_dost_source_leaves_one_complete_week_to_append(moment, tmp_path, monkeypatch):
    from edu_platform.defs.dost import settings
    from edu_platform.synthetic.landing import dost as landing

    now = at(moment)
    week = partitions.last_complete_week(now)
    db = make_database("cal_dost")
    db.drop_database()
    monkeypatch.delenv("DOST_SOURCE_URL", raising=False)
    monkeypatch.delenv("DOST_FIRST_WEEK", raising=False)
    monkeypatch.setenv("EDU_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("EDU_DOST_SCALE", "0.05")
    monkeypatch.setenv("EDU_DOST_WEEKS", "2")
    monkeypatch.setattr(settings, "DEFAULT_SOURCE_DB", db.database)
    message = landing.ensure_landed(now=now)
    assert f"the week of {week} is left" in message
    assert settings.first_week() == (week - dt.timedelta(weeks=2)).isoformat()
    assert dost_generator.next_week(db) == (week, week + dt.timedelta(weeks=1))
    assert db.scalar("select max(updated_at) from campaign") < dt.datetime.combine(week, dt.time(0), UTC)

    appended = dost_generator.append_week(db, now=now)  # the last complete week: it has ended
    assert appended["appended_calls"] > 0 and appended["as_of"] == (week + dt.timedelta(weeks=1)).isoformat()
    assert db.scalar("select max(updated_at) from campaign") < now
    with pytest.raises(ValueError) as error:  # the current week has not ended
        dost_generator.append_week(db, now=now)
    ends = week + dt.timedelta(weeks=2)
    assert str(error.value) == (
        f"the next week of {db.database} ({week + dt.timedelta(weeks=1)} to {ends - dt.timedelta(days=1)}) has not"
        f" ended yet: it ends on {ends} 00:00 UTC; nothing appended"
    )
    assert dost_generator.next_week(db) == (week + dt.timedelta(weeks=1), ends)  # nothing changed


def test_append_week_command_refuses_an_unfinished_week(tmp_path):
    db = make_database("cal_dost_cli")
    env = cli_environment_at(tmp_path, "2026-12-02T10:00:00Z")
    made = subprocess.run(
        [CLI, "generate", "dost", "--scale", "0.05", "--weeks", "2", "--url", db.libpq_url()], env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    # the default history ends with the last complete week (23-29 November)
    assert db.rows("select start_date, (as_of at time zone 'UTC')::date from synthetic.meta") == [(dt.date(2026, 11, 16), dt.date(2026, 11, 30))]
    refused = subprocess.run(
        [CLI, "generate", "dost", "--append-week", "--url", db.libpq_url()], env=env, capture_output=True, text=True, timeout=300,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"edu-platform: error: the next week of {db.database} (2026-11-30 to 2026-12-06) has not ended yet:"
        " it ends on 2026-12-07 00:00 UTC; nothing appended"
    )
    env["EDU_NOW"] = "2026-12-07T00:00:01Z"  # a moment later the week has ended
    appended = subprocess.run(
        [CLI, "generate", "dost", "--append-week", "--url", db.libpq_url()], env=env, capture_output=True, text=True, timeout=300,
    )
    assert appended.returncode == 0, appended.stderr[-2000:]
    assert "as_of: 2026-12-07" in appended.stdout


def test_udacity_generator_defaults_end_at_the_last_complete_month_and_refuse_the_current_one(tmp_path):
    env = cli_environment_at(tmp_path, "2027-12-01T10:00:00Z")
    out = tmp_path / "landing"
    made = subprocess.run(
        [CLI, "generate", "udacity", "--scale", "0.002", "--out", str(out), "--months", "2", "--nanodegree", "data_science"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    assert sorted(p.name for p in (out / "data_science" / "2027").iterdir()) == ["10", "11"]
    assert sum(1 for _ in open(out / "data_science" / "2027" / "11" / "video_log.csv")) > 100  # learners still active
    refused = subprocess.run(
        [CLI, "generate", "udacity", "--scale", "0.002", "--out", str(out), "--month", "2027-12"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == "edu-platform: error: month 2027-12 has not ended yet: it ends on 2028-01-01 00:00 UTC; nothing written"
    assert not (out / "data_science" / "2027" / "12").exists()


# ------------------------------------------------------------------------ not landed yet vs broken


@pytest.fixture
def course_root(tmp_path, monkeypatch):
    root = tmp_path / "courses"
    for month in ("2026-09", "2026-10"):
        udacity_generator.write_month(root, "data_science", month, 0.002)
    udacity_generator.write_month(root, "machine_learning", "2026-10", 0.002)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    return root


@pytest.mark.fast
def test_only_the_newest_month_is_not_landed_yet(course_root):
    keys = [f"{m}-01|{nd}" for m in ("2026-08", "2026-09", "2026-10", "2026-11") for nd in ("data_science", "machine_learning")]
    # 1 December: November is the newest month and nothing of it has landed
    skipped = udacity_landing.not_landed_yet(keys, now=at("2026-12-01T05:00:00Z"))
    assert skipped == {
        "2026-11-01|data_science": f"nanodegree data_science, month 2026-11: nothing in {course_root}/data_science/2026/11/ yet",
        "2026-11-01|machine_learning": f"nanodegree machine_learning, month 2026-11: nothing in {course_root}/machine_learning/2026/11/ yet",
    }
    # older months with nothing landed (2026-08 for both, 2026-09 for machine_learning) are not skipped: they fail
    # 30 November: October is the newest; machine_learning has it, data_science too
    assert udacity_landing.not_landed_yet(keys, now=at("2026-11-30T10:00:00Z")) == {}
    # a half-landed newest month waits for the rest, naming what is missing
    udacity_generator.write_month(course_root, "data_science", "2026-11", 0.002)
    (course_root / "data_science" / "2026" / "11" / "video_log.csv").unlink()
    skipped = udacity_landing.not_landed_yet(keys, now=at("2026-12-01T05:00:00Z"))
    assert skipped["2026-11-01|data_science"].endswith("has 3 of 4 files, waiting for video_log.csv")
    # a year later, 2027-11 is the newest: nothing of 2026 is skipped
    assert set(udacity_landing.not_landed_yet(keys + ["2027-11-01|data_science"], now=at("2027-12-01"))) == {"2027-11-01|data_science"}
    # weekly keys belong to another source and are ignored
    assert partitions.not_landed_yet(["2026-11-23"], now=at("2026-12-01")) == {}


@pytest.mark.fast
def test_monthly_schedule_waits_for_the_complete_folder(course_root):
    from edu_platform.definitions import defs

    schedule = defs.get_schedule_def("udacity_monthly_schedule")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("nanodegree", ["data_science", "machine_learning"])

        def tick(moment):
            with build_schedule_context(instance=instance, scheduled_execution_time=at(moment), repository_def=defs.get_repository_def()) as context:
                return schedule.evaluate_tick(context)

        early = tick("2026-12-01T05:00:00Z")  # November's files have not arrived
        assert early.run_requests == [] or early.run_requests is None
        assert "waiting for landed files" in early.skip_message and f"{course_root}/data_science/2026/11/" in early.skip_message
        udacity_generator.write_month(course_root, "data_science", "2026-11", 0.002)  # 09:00: one folder lands
        later = tick("2026-12-01T10:00:00Z")
        assert [r.partition_key for r in later.run_requests] == ["2026-11-01|data_science"]
        assert later.run_requests[0].run_key == "2026-11-01|data_science"
