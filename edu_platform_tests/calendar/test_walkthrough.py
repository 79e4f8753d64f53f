"""The README's walk-through, run with the `edu-platform` command at frozen dates a year and more ahead:
generate, run, add the next period once it has ended, run again; the new period is loaded. The newest month
of course files not landed yet is reported and the run exits 0; an older month with nothing landed fails,
naming the folder it expected.

Real parts: generated sources, real `edu-platform` processes with EDU_NOW set, real dlt loads and dbt builds
on the test server, a PostgreSQL-backed Dagster instance of the test's own."""

import datetime as dt
import subprocess

from edu_platform.synthetic.dost import generate as generate_dost
from edu_platform.synthetic.landing.dost import default_history
from edu_platform.synthetic.udacity import write_month
from edu_platform.lib.partitions import parse_now
from edu_platform.lib.warehouse import Warehouse
from edu_platform_tests.helpers import build_dim_date, cli_environment_at, environment, make_database, run_cli

# `make run` runs every source; the test selects one, with the shared calendar built beforehand
DOST = "group:dost_bronze or group:dost_silver or group:dost_gold"
COURSES = "group:udacity_bronze or group:udacity_silver or group:udacity_gold"


def build_calendar(env: dict) -> None:
    """gold.dim_date, which both sources' marts join."""
    with environment(EDU_WAREHOUSE_URL=env["EDU_WAREHOUSE_URL"], EDU_DLT_PIPELINES_DIR=env["EDU_DLT_PIPELINES_DIR"]):
        build_dim_date()


def explain(done: subprocess.CompletedProcess) -> str:
    """The summary (from its first line) and the end of stderr."""
    summary = done.stdout[done.stdout.find("== gold tables =="):] if "== gold tables ==" in done.stdout else done.stdout[-3000:]
    return summary[-6000:] + done.stderr[-2000:]


def test_dost_walkthrough_a_year_on(tmp_path):
    """On a Monday a year on: the default source's history stops a week before the last complete week; the
    run loads it; --append-week adds that week; the next run loads it; a further append is refused."""
    moment = "2027-11-29T10:00:00Z"
    env = cli_environment_at(tmp_path, moment)
    source = make_database("walk_dost")
    start, end = default_history(2, parse_now(moment))  # what `make run` generates, two weeks long
    assert (start, end) == (dt.date(2027, 11, 8), dt.date(2027, 11, 22))
    generate_dost(source, scale=0.05, weeks=2, start=start.isoformat())
    (tmp_path / "none").mkdir()
    env.update(DOST_SOURCE_URL=source.libpq_url(), DOST_FIRST_WEEK=start.isoformat(), OULAD_SOURCE=str(tmp_path / "none"),
               UDACITY_SOURCE=str(tmp_path / "none"))
    warehouse = Warehouse.from_url(env["EDU_WAREHOUSE_URL"])
    build_calendar(env)

    first = run_cli(env, "run", "--select", DOST)
    assert first.returncode == 0, explain(first)
    assert "2027-11-08...2027-11-22" in first.stdout  # one run up to the newest week, empty for now
    calls = source.scalar("select count(*) from campaign")
    assert warehouse.scalar("select count(*) from bronze.dost_campaign") == calls

    appended = run_cli(env, "generate", "dost", "--append-week")
    assert appended.returncode == 0, explain(appended)
    new_calls = source.scalar("select count(*) from campaign where attempted_timestamp >= '2027-11-22'")
    assert new_calls > 0

    second = run_cli(env, "run", "--select", DOST)
    assert second.returncode == 0, explain(second)
    assert warehouse.scalar("select count(*) from bronze.dost_campaign") == source.scalar("select count(*) from campaign")
    assert warehouse.scalar("select count(*) from gold.fct_dost_calls where call_date >= '2027-11-22'") > 0

    refused = run_cli(env, "generate", "dost", "--append-week")
    assert refused.returncode == 2
    assert "has not ended yet: it ends on 2027-12-06 00:00 UTC" in refused.stderr


def test_course_files_walkthrough_across_a_month_end(tmp_path):
    """Mid-week a year on: the generator's default ends with the last complete month; on the 1st of the next
    month that month has not landed yet (reported, exit 0); once generated, the next run loads it. A
    nanodegree whose older months never landed fails, naming each folder it expected."""
    root = tmp_path / "courses"
    env = cli_environment_at(tmp_path, "2027-12-08T10:00:00Z")
    env.update(UDACITY_SOURCE=str(root), OULAD_SOURCE=str(root), DOST_SOURCE_URL=env["EDU_WAREHOUSE_URL"])
    warehouse = Warehouse.from_url(env["EDU_WAREHOUSE_URL"])
    build_calendar(env)

    made = run_cli(env, "generate", "udacity", "--scale", "0.01", "--out", str(root), "--months", "2", "--nanodegree", "data_science")
    assert made.returncode == 0, explain(made)
    first = run_cli(env, "run", "--select", COURSES)
    assert first.returncode == 0, explain(first)
    assert months_in_bronze(warehouse) == ["2027-10-01", "2027-11-01"]

    env["EDU_NOW"] = "2028-01-01T00:30:00Z"  # December has ended; its files have not arrived
    waiting = run_cli(env, "run", "--select", COURSES)
    assert waiting.returncode == 0, explain(waiting)
    assert f"not landed yet: nanodegree data_science, month 2027-12: nothing in {root}/data_science/2027/12/ yet" in waiting.stdout
    assert "OK" in waiting.stdout.splitlines()

    landed = run_cli(env, "generate", "udacity", "--scale", "0.01", "--out", str(root), "--month", "2027-12", "--nanodegree", "data_science")
    assert landed.returncode == 0, explain(landed)
    second = run_cli(env, "run", "--select", COURSES)
    assert second.returncode == 0, explain(second)
    assert months_in_bronze(warehouse) == ["2027-10-01", "2027-11-01", "2027-12-01"]
    rows = sum(1 for _ in open(root / "data_science" / "2027" / "12" / "video_log.csv")) - 1
    assert warehouse.scalar("select count(*) from bronze.udacity_video_log where month = '2027-12-01'") == rows > 0

    # a new nanodegree landed for December only: the catch-up's range run holding its October fails before
    # loading anything, naming the first folder it expected (a range run is all or nothing)
    write_month(root, "machine_learning", "2027-12", 0.01)
    broken = run_cli(env, "run", "--select", "key:bronze/udacity/*")
    assert broken.returncode == 1
    output = broken.stdout + broken.stderr
    assert f"{root}/machine_learning/2027/10: nothing landed for nanodegree machine_learning" in output
    assert "not landed yet" not in broken.stdout
    assert "RUN FAILED udacity_monthly_job" in broken.stdout


def months_in_bronze(warehouse) -> list[str]:
    return [str(m) for (m,) in warehouse.rows("select distinct month from bronze.udacity_video_log order by 1")]
