"""Termination of a run launched through the instance (`edu-platform run` submits it to the queue, a real
dagster-daemon launches it) while its dbt build is in flight: the UI's Terminate (the GraphQL mutation the Runs
page sends), SIGTERM to the daemon's process group (a service or container shutdown), and SIGTERM to the daemon
alone. Each asserts the issue's outcome: the run ends, no dbt process and no run worker of
it is alive 10 s later, and no relation of bronze, silver or gold changes after the run was marked ended.

The termination starts only once dbt is mid-build, held there deterministically: the test locks the gold table
dbt replaces after the silver models (small seeded OULAD files), and waits for a dbt session waiting on that
lock. When the run is stopped, the lock is released only once the run has ended, so a dbt left running would
write then, and be seen."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from edu_platform.synthetic.oulad import generate as generate_oulad
from edu_platform_tests.helpers import CLI, ROOT, cli_environment, make_database

SELECT = "group:oulad_bronze or group:oulad_silver or group:oulad_gold"
ENDED = ("SUCCESS", "FAILURE", "CANCELED")
BRONZE_READY = "bronze.oulad_vle"  # a bronze table of the run: bronze is loading, set-up is done
HELD = "gold.fct_vle_interactions"  # a gold table dbt builds after the silver models
GRACE_SECONDS = 10  # the bound: nothing of the run alive, nothing written, 10 s after it ended


@pytest.fixture(scope="module")
def oulad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("term_oulad")
    generate_oulad(folder, scale=0.003)
    return folder


class CliRun:
    """`edu-platform run` on a warehouse and a Dagster instance of its own, in the background."""

    def __init__(self, tmp_path: Path, name: str, oulad_files: Path):
        self.warehouse, self.storage = make_database(f"{name}_wh"), make_database(f"{name}_dg")
        self.home = tmp_path / name
        self.env = cli_environment(self.home, self.warehouse, self.storage, OULAD_SOURCE=str(oulad_files))
        self.log = tmp_path / f"{name}.log"
        self.lock = None
        with open(self.log, "w") as out:
            self.cli = subprocess.Popen([CLI, "run", "--select", SELECT], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text()

    def hold_dbt(self, timeout: float = 600) -> str:
        """Make dbt's build wait, mid-build, on a lock this test holds: once bronze is loaded, an empty
        `gold.fct_vle_interactions` is created and held (ACCESS SHARE), so dbt's rename of its new build onto it blocks (the
        silver models are built by then). Returns the run's id once a dbt session waits on the lock. An orphan dbt
        would go on as soon as the lock is released: `release` then lets it write, for the test to see."""
        deadline = time.time() + timeout
        while self.warehouse.scalar(f"select to_regclass('{BRONZE_READY}')") is None:
            assert self.cli.poll() is None, f"the CLI ended before bronze was loaded:\n{self.output()[-3000:]}"
            assert time.time() < deadline, f"bronze not loaded within {timeout} s:\n{self.output()[-3000:]}"
            time.sleep(0.1)
        self.lock = self.warehouse.connect(autocommit=False)
        with self.lock.cursor() as cur:
            cur.execute(f"create schema if not exists gold; create table if not exists {HELD} (placeholder int)")
            self.lock.commit()
            # ACCESS SHARE: dbt's rename onto it waits, while reads of it (dagster-dbt's row counts and columns) do
            # not once dbt is gone
            cur.execute(f"lock table {HELD} in access share mode")
        while not self.warehouse.scalar(
            "select count(*) from pg_stat_activity where datname = %s and application_name like 'dbt%%'"
            " and wait_event_type = 'Lock'", (self.warehouse.database,)
        ):
            assert self.cli.poll() is None, f"the CLI ended before dbt reached {HELD}:\n{self.output()[-3000:]}"
            assert time.time() < deadline, f"dbt did not reach {HELD} within {timeout} s:\n{self.output()[-3000:]}"
            time.sleep(0.1)
        (run_id,) = [r for r, status in self.runs() if status == "STARTED"]
        return run_id

    def release(self) -> None:
        if self.lock is not None and not self.lock.closed:
            self.lock.rollback()
            self.lock.close()

    def runs(self) -> list[tuple[str, str]]:
        return self.storage.rows("select run_id, status from runs order by id")

    def status(self, run_id: str) -> str:
        return self.storage.scalar("select status from runs where run_id = %s", (run_id,))

    def wait_until_ended(self, run_id: str, timeout: float = 120) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.status(run_id)
            if status in ENDED:
                return status
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} still {self.status(run_id)} after {timeout} s:\n{self.output()[-3000:]}")

    def daemon_pid(self) -> int:
        return int((self.home / "state" / "daemon" / "daemon.pid").read_text().split()[0])

    def graphql(self, query: str, variables: dict) -> dict:
        """A GraphQL request on the instance, as the webserver serves it (`dagster-graphql`, the same schema)."""
        done = subprocess.run(
            [str(Path(CLI).with_name("dagster-graphql")), "-w", str(ROOT / "workspace.yaml"), "-t", query, "-v", json.dumps(variables)],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300,
        )
        answer = next((json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")), None)
        assert answer is not None, done.stdout[-2000:] + done.stderr[-2000:]
        return answer

    def stop(self) -> None:
        self.release()
        if self.cli.poll() is None:
            self.cli.send_signal(signal.SIGINT)
            try:
                self.cli.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.cli.kill()
        for pid in processes_of(self.warehouse.database):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def processes_of(database: str) -> dict[int, str]:
    """Processes whose environment names this test's warehouse database, by pid: 'dbt' (dbt or the platform's
    `edu-platform-dbt`), 'run worker' (a multiprocessing child: the run's process), 'daemon', 'code server',
    'cli' or 'other'."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if database.encode() not in (proc / "environ").read_bytes():
                continue
            cmdline = [part.decode(errors="replace") for part in (proc / "cmdline").read_bytes().split(b"\0") if part]
        except OSError:
            continue
        names = [part.rsplit("/", 1)[-1] for part in cmdline[:3]]
        text = " ".join(cmdline)
        if {"dbt", "edu-platform-dbt"} & set(names[:2]):
            kind = "dbt"
        elif "multiprocessing" in text and "spawn_main" in text:
            kind = "run worker"
        elif "dagster-daemon" in names:
            kind = "daemon"
        elif "api" in cmdline and "grpc" in cmdline:
            kind = "code server"
        elif "edu-platform" in names:
            kind = "cli"
        else:
            kind = "other"
        found[int(proc.name)] = kind
    return found


def relation_states(conn) -> dict[str, tuple]:
    """Every relation of bronze (and dlt's staging), silver and gold, read over `conn`: (oid, relfilenode, rows,
    newest row version). A statement that wrote to a relation, replaced or created one changes this."""
    with conn.cursor() as cur:
        cur.execute(
            "select n.nspname, c.relname, c.oid::bigint, c.relfilenode::bigint, c.relkind from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where (n.nspname like 'bronze%%' or n.nspname in ('silver', 'gold')) and c.relkind in ('r', 'p', 'v', 'm')"
        )
        out = {}
        for schema, name, oid, filenode, kind in cur.fetchall():
            rows = newest = None
            if kind != "v":
                cur.execute(f'select count(*), coalesce(max(xmin::text::bigint), 0) from "{schema}"."{name}"')
                rows, newest = cur.fetchone()
            out[f"{schema}.{name}"] = (oid, filenode, rows, newest)
    return out


def sessions_of_the_run(warehouse) -> list[tuple[str, str]]:
    """dbt's and dlt's sessions on the warehouse."""
    return warehouse.rows(
        "select application_name, state from pg_stat_activity where datname = %s and pid <> pg_backend_pid()"
        " and (application_name like 'dbt%%' or application_name like 'edu_dlt%%')",
        (warehouse.database,),
    )


def assert_nothing_after_the_end(run: CliRun) -> dict:
    """Snapshot the relations at the run's end (through the session holding dbt's lock), release the lock and
    wait GRACE_SECONDS: nothing of the run is alive and nothing changed."""
    at_end = relation_states(run.lock)
    run.release()
    time.sleep(GRACE_SECONDS)
    alive = {pid: kind for pid, kind in processes_of(run.warehouse.database).items() if kind in ("dbt", "run worker")}
    assert alive == {}, f"alive {GRACE_SECONDS} s after the run ended: {alive}"
    assert sessions_of_the_run(run.warehouse) == []
    with run.warehouse.cursor() as cur:
        later = relation_states(cur.connection)
    changed = {name: (at_end.get(name), later.get(name)) for name in at_end.keys() | later.keys() if at_end.get(name) != later.get(name)}
    assert changed == {}, f"relations written after the run ended: {changed}"
    return at_end


TERMINATE = """
mutation Terminate($runIds: [String!]!) {
  terminateRuns(runIds: $runIds, terminatePolicy: SAFE_TERMINATE) {
    __typename
    ... on TerminateRunsResult { terminateRunResults { __typename ... on TerminateRunFailure { message } } }
    ... on PythonError { message }
  }
}
"""


def test_ui_terminate_during_the_dbt_build_stops_dbt_and_nothing_writes_after(oulad_files, tmp_path):
    """The Runs page's Terminate on a run whose dbt build is in flight: the run is CANCELED, its dbt and run
    worker are gone and no relation changes in the 10 s after."""
    run = CliRun(tmp_path, "term_ui", oulad_files)
    try:
        run_id = run.hold_dbt()
        answer = run.graphql(TERMINATE, {"runIds": [run_id]})
        results = answer["data"]["terminateRuns"]["terminateRunResults"]
        assert [r["__typename"] for r in results] == ["TerminateRunSuccess"], answer
        assert run.wait_until_ended(run_id) == "CANCELED", run.output()[-3000:]
        assert_nothing_after_the_end(run)
        assert run.cli.wait(timeout=120) == 1
        assert "run cancelled" in run.output()
    finally:
        run.stop()


def test_daemon_shutdown_during_the_dbt_build_stops_the_run_and_nothing_writes_after(oulad_files, tmp_path):
    """SIGTERM to the daemon's process group (what systemd, a container stop or Ctrl-C on `make dev` send: the
    daemon, its code server, the run worker and dbt) while dbt builds: the run is marked FAILURE, no dbt or run
    worker of it is alive 10 s later, and nothing changes after it was marked."""
    run = CliRun(tmp_path, "term_daemon", oulad_files)
    try:
        run_id = run.hold_dbt()
        os.killpg(run.daemon_pid(), signal.SIGTERM)
        assert run.wait_until_ended(run_id) == "FAILURE", run.output()[-3000:]
        assert_nothing_after_the_end(run)
    finally:
        run.stop()


def test_sigterm_to_the_daemon_alone_lets_the_launched_run_finish_and_nothing_writes_after(oulad_files, tmp_path):
    """SIGTERM to the daemon process alone (not its group): the daemon stops dequeuing, but the run it launched
    goes on in its code server and ends by itself; 10 s after it ended no dbt or run worker is alive and no
    relation changes."""
    run = CliRun(tmp_path, "term_daemon_alone", oulad_files)
    try:
        run_id = run.hold_dbt()
        daemon = run.daemon_pid()
        os.kill(daemon, signal.SIGTERM)
        deadline = time.time() + 120
        while daemon in processes_of(run.warehouse.database) and time.time() < deadline:
            time.sleep(0.2)
        assert daemon not in processes_of(run.warehouse.database), "the daemon did not stop on SIGTERM"
        assert run.status(run_id) == "STARTED"
        run.release()
        run.wait_until_ended(run_id, timeout=300)
        run.lock = run.warehouse.connect()
        assert_nothing_after_the_end(run)
    finally:
        run.stop()
