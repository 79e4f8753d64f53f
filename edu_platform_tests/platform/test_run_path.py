"""`edu-platform run` as a user runs it: runs of named jobs submitted to the instance's queue (a real
dagster-daemon dequeues them), sources that cannot break each other, concurrent runs that queue behind each
other, and a summary that tells a failing test from one that could not run."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, RunsFilter

from edu_platform.synthetic.dost import generate as generate_dost
from edu_platform.synthetic.oulad import generate as generate_oulad
from edu_platform.synthetic.udacity import generate as generate_udacity
from edu_platform_tests.helpers import cli_environment, environment, make_database, table_hashes

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("edu-platform"))
SOURCES = ("oulad", "dost", "udacity")
def _recent_periods() -> tuple[str, str]:
    """The first Monday of the last three complete weeks, and the last complete month, from the clock: every
    partition of the catch-up has its data, whatever the day the suite runs."""
    import datetime as dt

    today = dt.datetime.now(dt.timezone.utc).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    return (this_monday - dt.timedelta(weeks=3)).isoformat(), last_month.strftime("%Y-%m")


(DOST_START, UDACITY_MONTH), DOST_WEEKS = _recent_periods(), 3


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """One set of small seeded sources every run of this module reads."""
    root = tmp_path_factory.mktemp("sources")
    generate_oulad(root / "oulad", scale=0.003)
    dost = make_database("runpath_dost_src")
    generate_dost(dost, scale=0.05, weeks=DOST_WEEKS, start=DOST_START)
    generate_udacity(root / "udacity", scale=0.002, nanodegrees=["data_science"], months=[UDACITY_MONTH])
    return {"root": root, "dost": dost}


def _env(tmp: Path, name: str, sources, **override) -> tuple[dict, object]:
    """The environment of a CLI run on a warehouse and a Dagster instance of its own."""
    warehouse, storage = make_database(f"{name}_wh"), make_database(f"{name}_dg")
    env = cli_environment(
        tmp / name, warehouse, storage,
        OULAD_SOURCE=str(sources["root"] / "oulad"),
        DOST_SOURCE_URL=sources["dost"].libpq_url(),
        DOST_FIRST_WEEK=DOST_START,
        UDACITY_SOURCE=str(sources["root"] / "udacity"),
        UDACITY_START_MONTH=UDACITY_MONTH,
    )
    env.update(override)
    return env, warehouse


def _cli(env, *args, timeout=1800) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _gold_tables_of(source: str) -> set[str]:
    from edu_platform.definitions import defs

    return {
        f"gold.{k.path[-1]}" for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[:2] == ["gold", source]
    }


def _gold_hashes(warehouse, source: str) -> dict:
    hashes = table_hashes(warehouse, schemas=("gold",))
    wanted = _gold_tables_of(source)
    return {table: value for table, value in hashes.items() if table in wanted}


@pytest.fixture(scope="module")
def clean_run(sources, tmp_path_factory):
    env, warehouse = _env(tmp_path_factory.mktemp("clean"), "runpath_clean", sources)
    done = _cli(env, "run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return {"env": env, "warehouse": warehouse, "stdout": done.stdout,
            "gold": {source: _gold_hashes(warehouse, source) for source in SOURCES}}


def test_cli_runs_are_named_jobs_in_the_queue(clean_run):
    instance_env = clean_run["env"]
    names = ("DAGSTER_HOME", "EDU_DAGSTER_STORAGE_URL", "EDU_DAGSTER_ARTIFACTS_DIR", "EDU_DAGSTER_COMPUTE_LOGS_DIR")
    with environment(**{k: instance_env[k] for k in names}), DagsterInstance.get() as instance:
        runs = instance.get_runs(RunsFilter(tags={"edu_platform/launched_by": "cli"}))
        jobs = {run.job_name for run in runs}
        assert jobs == {"shared_calendar_job", "oulad_monthly_job", "dost_weekly_job", "udacity_dims_job", "udacity_monthly_job"}
        assert not any(run.job_name.startswith("__") for run in runs)
        dost = [r for r in runs if r.job_name == "dost_weekly_job"]
        assert all("dagster/asset_partition_range_start" in r.tags or "dagster/partition" in r.tags for r in dost)
        monthly = [r for r in runs if r.job_name == "udacity_monthly_job"]
        assert len(monthly) == 1 and all(r.tags.get("dagster/partition/month") == f"{UDACITY_MONTH}-01" for r in monthly)
    assert "[dost_weekly_job [" in clean_run["stdout"] and "step dost_bronze started" in clean_run["stdout"]
    assert "stopped the Dagster daemon" in clean_run["stdout"]


def _spoil_oulad(env, tmp: Path) -> dict:
    folder = tmp / "oulad_spoiled"
    shutil.copytree(env["OULAD_SOURCE"], folder)
    info = folder / "studentInfo.csv"
    lines = info.read_text().splitlines()
    info.write_text("\n".join(lines + lines[1:4]) + "\n")  # three repeated registrations
    return {"OULAD_SOURCE": str(folder)}


def _spoil_dost(env, tmp: Path) -> dict:
    return {"DOST_SOURCE_URL": "postgresql://nobody:pw@127.0.0.1:1/edu_dost_down"}


def _spoil_udacity(env, tmp: Path) -> dict:
    """A landed month whose video log has a row with one field too many: the load fails naming file and line."""
    folder = tmp / "udacity_spoiled"
    shutil.copytree(env["UDACITY_SOURCE"], folder)
    video_log = next(folder.glob(f"*/{UDACITY_MONTH[:4]}/{UDACITY_MONTH[5:]}/video_log.csv"))
    lines = video_log.read_text().splitlines()
    video_log.write_text("\n".join(lines + [lines[-1] + ",extra"]) + "\n")
    return {"UDACITY_SOURCE": str(folder)}


def _failures(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("  RUN FAILED", "  STEP FAILED", "  FAILED [ERROR]", "  ERRORED"))]


def test_oulad_failing_never_stops_dost_or_the_course_data(sources, clean_run, tmp_path):
    env, warehouse = _env(tmp_path, "runpath_sp_oulad", sources)
    env.update(_spoil_oulad(env, tmp_path))
    done = _cli(env, "run")
    assert done.returncode == 1, done.stdout[-3000:]
    failures = _failures(done.stdout)
    assert failures and all("oulad" in line for line in failures), failures
    assert "FAILED [ERROR] bronze/oulad/student_info :: duplicate_keys" in done.stdout
    for other in ("dost", "udacity"):
        assert _gold_hashes(warehouse, other) == clean_run["gold"][other], other


def test_dost_down_and_a_course_file_missing_never_stop_oulad(sources, clean_run, tmp_path):
    env, warehouse = _env(tmp_path, "runpath_sp_dost", sources)
    env.update(_spoil_dost(env, tmp_path))
    env.update(_spoil_udacity(env, tmp_path))
    done = _cli(env, "run")
    assert done.returncode == 1, done.stdout[-3000:]
    failures = _failures(done.stdout)
    assert any("dost_weekly_job" in line for line in failures) and any("udacity_monthly_job" in line for line in failures), failures
    assert not any("oulad" in line or "shared" in line for line in failures), failures
    assert _gold_hashes(warehouse, "oulad") == clean_run["gold"]["oulad"]


def test_two_cli_runs_of_the_same_partitions_queue_and_duplicate_nothing(sources, clean_run, tmp_path):
    env, warehouse = _env(tmp_path, "runpath_twice", sources)
    select = "key:gold/shared/dim_date or group:dost_bronze or group:dost_silver or group:dost_gold"
    first = subprocess.Popen([CLI, "run", "--select", select], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    second = subprocess.Popen([CLI, "run", "--select", select], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = [p.communicate(timeout=900)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, [o[-2000:] for o in outputs]
    assert sum("started a Dagster daemon" in o for o in outputs) == 1  # one daemon, shared
    assert _gold_hashes(warehouse, "dost") == clean_run["gold"]["dost"]
    dost_tables = {t: v for t, v in table_hashes(warehouse, ("bronze", "silver")).items() if ".dost_" in t}
    reference = {t: v for t, v in table_hashes(clean_run["warehouse"], ("bronze", "silver")).items() if ".dost_" in t}
    assert dost_tables == reference


def test_selecting_the_calendar_alone_runs_only_its_own_tests(clean_run):
    done = _cli(clean_run["env"], "run", "--select", "key:gold/shared/dim_date")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "== checks: 4 passed, 0 failed ==" in done.stdout  # unique / not_null on date_key and date_day


def test_cli_misuse_is_one_error_line(sources, tmp_path):
    env, _ = _env(tmp_path, "runpath_misuse", sources)
    for args in (["run", "--select", "group:dost_*"], ["run", "--select", "key:no/such/asset"], ["run", "--partition", "1999-13-45"]):
        done = _cli(env, *args, timeout=600)
        assert done.returncode == 2, done.stdout[-1000:] + done.stderr[-1000:]
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("edu-platform: error:") and "Traceback" not in done.stderr


def test_one_asset_of_every_group_selected_alone_succeeds(clean_run, monkeypatch):
    """One asset of each group, alone, on the built warehouse: it succeeds, and only its own checks run."""
    from edu_platform.definitions import defs
    from edu_platform.lib.runner import job_of_assets, plan_runs
    from edu_platform_tests.helpers import check_results, materialize_selection, step_errors

    owner = job_of_assets(defs)

    graph = defs.resolve_asset_graph()
    by_group: dict[str, AssetKey] = {}
    for key in sorted(graph.materializable_asset_keys, key=lambda k: k.path):
        if key.path[0] != "bronze":  # dbt models: where one source's tests could reach another's (bronze loads are per table)
            by_group.setdefault(graph.get(key).group_name, key)
    for name in ("EDU_WAREHOUSE_URL", "OULAD_SOURCE", "DOST_SOURCE_URL", "DOST_FIRST_WEEK", "UDACITY_SOURCE", "UDACITY_START_MONTH", "EDU_DLT_PIPELINES_DIR"):
        monkeypatch.setenv(name, clean_run["env"][name])
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("nanodegree", ["data_science"])  # as the CLI registers the seeded folder
        for group, key in sorted(by_group.items()):
            planned, _ = plan_runs(defs, AssetSelection.assets(key), instance, partition=None)
            # None: the whole job, allowed only where the job holds that one asset (the calendar's)
            whole = list(owner.values()).count(owner[key]) == 1
            assert planned and all(r.asset_keys == [key.path] or (r.asset_keys is None and whole) for r, _ in planned), group
            partitions_def = graph.get(key).partitions_def
            partition = None
            if partitions_def is not None:
                if hasattr(partitions_def, "partitions_defs"):  # month x nanodegree
                    partition = partitions_def.get_partition_keys(dynamic_partitions_store=instance)[-1]
                else:
                    partition = partitions_def.get_last_partition_key()
            result = materialize_selection(AssetSelection.assets(key), instance=instance, partition_key=partition)
            assert result.success, (group, key, step_errors(result))
            assert {asset for asset, _ in check_results(result)} <= {key.to_user_string()}, group


def _dbt_processes_of(database: str) -> list[int]:
    """dbt processes (`dbt`, or the platform's `edu-platform-dbt` entry point) whose environment names this test's
    warehouse database."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if not any(part.rsplit(b"/", 1)[-1] in (b"dbt", b"edu-platform-dbt") for part in cmdline[:2]):
                continue
            if database.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_ctrl_c_cancels_the_runs_and_their_dbt(sources, tmp_path):
    """SIGINT to `edu-platform run` while dbt builds: the run ends CANCELED (not left CANCELING), no dbt process of
    it is left 10 s later, and the CLI exits 130."""
    import signal

    env, warehouse = _env(tmp_path, "runpath_sigint", sources)
    child = subprocess.Popen([CLI, "run", "--select", "group:oulad_bronze or group:oulad_silver or group:oulad_gold"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    while time.time() < deadline and child.poll() is None and not _dbt_processes_of(warehouse.database):
        time.sleep(0.2)
    assert child.poll() is None, "the run ended before dbt started"
    child.send_signal(signal.SIGINT)
    output = child.communicate(timeout=300)[0]
    assert child.returncode == 130, output[-3000:]
    assert "cancelling (SIGINT received)" in output and "interrupted (SIGINT)" in output, output[-3000:]
    assert "RUN CANCELLED" in output and "RUN FAILED" not in output, output[-3000:]
    time.sleep(10)
    assert _dbt_processes_of(warehouse.database) == []


def test_a_test_that_cannot_run_is_reported_as_errored(sources, fresh_warehouse, monkeypatch):
    """OULAD built on a warehouse without the calendar: its relationship tests to gold.dim_date cannot run.
    The summary says ERRORED with dbt's message, not '0 failing rows'."""
    from edu_platform.lib.runner import RunSummary, format_summary
    from edu_platform_tests.helpers import materialize_selection

    monkeypatch.setenv("OULAD_SOURCE", str(sources["root"] / "oulad"))
    with DagsterInstance.ephemeral() as instance:
        result = materialize_selection(AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold"), instance=instance)
        summary = RunSummary()
        summary.add_run(instance, result.run_id, "oulad")
    errored = [c for c in summary.checks_failed if c.errored]
    assert errored and all("dim_date" in c.text and "does not exist" in c.text for c in errored), summary.checks_failed
    assert not [c for c in summary.checks_failed if not c.errored]
    text = format_summary(summary)
    assert "ERRORED [ERROR] gold/oulad/fct_registrations" in text and "failing rows" not in text
    assert not summary.ok


@pytest.mark.fast
def test_every_asset_belongs_to_exactly_one_named_job():
    from edu_platform.definitions import defs
    from edu_platform.lib.runner import job_of_assets

    owner = job_of_assets(defs)  # raises naming an asset that is in two jobs
    graph = defs.resolve_asset_graph()
    assert set(owner) == set(graph.materializable_asset_keys)
    assert owner[AssetKey(["gold", "shared", "dim_date"])] == "shared_calendar_job"
    assert not any(graph.get(key).parent_keys for key, job in owner.items() if job == "shared_calendar_job")


@pytest.mark.fast
def test_an_interrupt_during_a_submission_is_raised_once_the_runs_are_followed():
    """Ctrl-C while runs are being submitted: the block that creates the runs and starts following them ends
    first, then the interrupt is raised (so the CLI cancels every run it created); the handler is restored."""
    import os
    import signal

    from edu_platform.lib.runner import _Interrupted, _interrupts_held, _raise_interrupt

    previous = signal.signal(signal.SIGINT, _raise_interrupt)
    followed = []
    try:
        with pytest.raises(_Interrupted, match="SIGINT"):
            with _interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the signal is handled here, in the middle of the submission
                followed.append("run-1")
        assert followed == ["run-1"]
        assert signal.getsignal(signal.SIGINT) is _raise_interrupt
    finally:
        signal.signal(signal.SIGINT, previous)
