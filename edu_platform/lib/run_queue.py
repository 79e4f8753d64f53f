"""The Dagster instance's run queue, used from the command line.

`edu-platform run` submits runs of the named jobs exactly as the UI does (GraphQL `launchPipelineExecution`,
dagster-graphql's own schema, answered in this process over the definitions it has imported), so the CLI, the UI, schedules and
backfills share one queue, its concurrency limits (dagster.yaml) and the run launcher. A Dagster daemon
dequeues them: one already heart-beating for this instance (`make dev`, a deployment) or, when there is none,
one the CLI starts and stops. Several CLI processes share that daemon; the last one to finish stops it.
"""

import fcntl
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from edu_platform.lib.environment import child_environment
from edu_platform.lib.settings import project_home, state_dir

LOCATION_NAME = "edu_platform"  # workspace.yaml
DEFINITIONS_MODULE = "edu_platform.definitions"  # workspace.yaml
REPOSITORY_NAME = "__repository__"  # the repository of a Definitions object
LAUNCHED_BY_TAG = "edu_platform/launched_by"
HEARTBEAT_FRESH_SECONDS = 45  # the daemon heart-beats every 30 s
DAEMON_START_TIMEOUT_SECONDS = 180
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass
class RunRequest:
    """One run of a named job: an optional asset (and check) subset and the partition tags."""

    job_name: str
    label: str
    tags: dict[str, str] = field(default_factory=dict)
    asset_keys: Optional[list[list[str]]] = None  # None: the whole job
    check_keys: Optional[list[tuple[list[str], str]]] = None


def _bin(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def _child_env() -> dict:
    return child_environment(PYTHONUNBUFFERED="1")


def _reset_signals():  # a shell started in the background ignores SIGINT/SIGTERM: children must not inherit it
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# ---------------------------------------------------------------------------------------------------- daemon

def _daemon_dir() -> Path:
    path = state_dir() / "daemon"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _read_pid(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _fresh_heartbeat(instance: DagsterInstance, since: float = 0.0) -> bool:
    """A run-queue daemon of this instance heart-beat within the last HEARTBEAT_FRESH_SECONDS (and after `since`)."""
    now = time.time()
    for daemon_type, heartbeat in instance.get_daemon_heartbeats().items():
        if "QUEUED_RUN_COORDINATOR" in str(daemon_type).upper():
            return heartbeat.timestamp > max(since, now - HEARTBEAT_FRESH_SECONDS)
    return False


def _start_daemon(instance: DagsterInstance, log) -> int:
    folder = _daemon_dir()
    started = time.time()
    with open(folder / "daemon.log", "ab") as out:
        process = subprocess.Popen(
            [_bin("dagster-daemon"), "run", "-w", str(project_home() / "workspace.yaml")],
            cwd=project_home(), env=_child_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_reset_signals,
        )
    (folder / "daemon.pid").write_text(f"{process.pid}\n")
    log(f"started a Dagster daemon for the run queue (pid {process.pid}, log {folder / 'daemon.log'})")
    deadline = started + DAEMON_START_TIMEOUT_SECONDS
    while not _fresh_heartbeat(instance, since=started):
        if process.poll() is not None:
            raise RuntimeError(f"the Dagster daemon exited with status {process.returncode}: see {folder / 'daemon.log'}")
        if time.time() > deadline:
            raise RuntimeError(f"the Dagster daemon did not start within {DAEMON_START_TIMEOUT_SECONDS} s: see {folder / 'daemon.log'}")
        time.sleep(0.5)
    return process.pid


def _stop_daemon(pid: int, log, timeout: float = 30.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while pid_alive(pid) and time.time() < deadline:
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)  # the code server and anything it left behind
    except ProcessLookupError:
        pass
    log(f"stopped the Dagster daemon (pid {pid})")


@contextmanager
def run_queue_daemon(instance: DagsterInstance, log=print) -> Iterator[None]:
    """A daemon dequeues this instance's runs while the block runs. `daemon.lock` serialises starting and
    stopping; every CLI holds `users.lock` shared while it waits on runs, and whoever can take it exclusively
    at the end is the last user and stops the daemon the CLI started (never one it did not start)."""
    folder = _daemon_dir()
    pid_file = folder / "daemon.pid"
    with open(folder / "daemon.lock", "a+") as lock, open(folder / "users.lock", "a+") as users:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            fcntl.flock(users, fcntl.LOCK_SH)
            pid = _read_pid(pid_file)
            if not (pid and pid_alive(pid)):
                pid_file.unlink(missing_ok=True)
                if not _fresh_heartbeat(instance):
                    _start_daemon(instance, log)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                fcntl.flock(users, fcntl.LOCK_UN)
                try:
                    fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return  # another CLI still uses the daemon; the last one stops it
                pid = _read_pid(pid_file)
                if pid and pid_alive(pid) and not _runs_in_flight(instance):
                    _stop_daemon(pid, log)
                    pid_file.unlink(missing_ok=True)
                    # its last heartbeat must not pass for a live daemon in the next CLI's check
                    instance.wipe_daemon_heartbeats()
                fcntl.flock(users, fcntl.LOCK_UN)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_daemon(instance: DagsterInstance, log=print) -> None:
    """While runs wait in the queue: start a daemon if none is alive (the one relied on went away)."""
    folder = _daemon_dir()
    with open(folder / "daemon.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pid = _read_pid(folder / "daemon.pid")
            if not (pid and pid_alive(pid)) and not _fresh_heartbeat(instance):
                log("no Dagster daemon is dequeuing runs")
                _start_daemon(instance, log)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _runs_in_flight(instance: DagsterInstance) -> bool:
    from dagster import RunsFilter

    active = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    return bool(instance.get_runs(RunsFilter(statuses=active), limit=1))


# ---------------------------------------------------------------------------------------------------- submit

_LAUNCH_FIELDS = """
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
    ... on Error { message }
"""


def _execution_params(request: RunRequest) -> dict:
    selector: dict = {"repositoryLocationName": LOCATION_NAME, "repositoryName": REPOSITORY_NAME, "jobName": request.job_name}
    if request.asset_keys is not None:
        selector["assetSelection"] = [{"path": path} for path in request.asset_keys]
        selector["assetCheckSelection"] = [
            {"assetKey": {"path": path}, "name": name} for path, name in (request.check_keys or [])
        ]
    return {
        "selector": selector,
        "runConfigData": "{}",
        "mode": "default",
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in request.tags.items()]},
    }


def submit_runs(instance: DagsterInstance, requests: list[RunRequest]) -> list[str]:
    """Submit the runs to the instance's queue in one GraphQL request (the `launchPipelineExecution` mutation the
    UI's Launchpad sends), answered in this process over the definitions it has already imported: the same checks
    and snapshots as the UI, without starting a code server per submission. Returns their run ids in order. A
    request the workspace refuses raises, naming the job and the reason. The daemon launches each run in its own
    code server, which it finds by the location's name (workspace.yaml)."""
    if not requests:
        return []
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
    from dagster_graphql.cli import execute_query

    variables = {f"p{i}": _execution_params(r) for i, r in enumerate(requests)}
    header = ", ".join(f"$p{i}: ExecutionParams!" for i in range(len(requests)))
    body = "\n".join(f"r{i}: launchPipelineExecution(executionParams: $p{i}) {{ {_LAUNCH_FIELDS} }}" for i in range(len(requests)))
    query = f"mutation Launch({header}) {{\n{body}\n}}"
    location = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE, working_directory=str(project_home())),
        location_name=LOCATION_NAME,
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(location), read_only=False) as workspace:
        answer = execute_query(workspace, query, variables)
    if answer.get("errors"):
        raise RuntimeError(f"submitting runs failed: {answer['errors'][0].get('message')}")
    run_ids = []
    for i, request in enumerate(requests):
        result = answer["data"][f"r{i}"]
        if result["__typename"] != "LaunchRunSuccess":
            reason = result.get("message") or "; ".join(e["message"] for e in result.get("errors", [])) or result["__typename"]
            raise RuntimeError(f"{request.label}: the run was refused: {reason}")
        run_ids.append(result["run"]["runId"])
    return run_ids


# ---------------------------------------------------------------------------------------------------- follow

_PROGRESS_EVENTS = {
    DagsterEventType.RUN_START, DagsterEventType.STEP_START, DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
}


def _progress_line(label: str, entry) -> Optional[str]:
    event = entry.dagster_event
    kind = event.event_type
    if kind == DagsterEventType.STEP_START:
        return f"[{label}] step {event.step_key} started"
    if kind == DagsterEventType.STEP_SUCCESS:
        return f"[{label}] step {event.step_key} succeeded"
    if kind == DagsterEventType.STEP_FAILURE:
        return f"[{label}] step {event.step_key} FAILED: {root_cause(event.event_specific_data.error)}"
    if kind == DagsterEventType.RUN_START:
        return f"[{label}] run started"
    ended = {DagsterEventType.RUN_SUCCESS: "succeeded", DagsterEventType.RUN_FAILURE: "FAILED", DagsterEventType.RUN_CANCELED: "cancelled"}
    return f"[{label}] run {ended.get(kind, kind.value.lower())}"


def root_cause(error) -> str:
    """The innermost error's message, on one line (Dagster wraps a step's exception in its own)."""
    if error is None:
        return ""
    innermost = error
    while innermost.cause is not None:
        innermost = innermost.cause
    text = " ".join(innermost.message.split()) or " ".join(error.message.split())
    return text[:500]


class Follower:
    """Polls the instance for the runs' statuses and progress events, printing each as it happens."""

    def __init__(self, instance: DagsterInstance, log: Callable[[str], None]):
        self.instance = instance
        self.log = log
        self.labels: dict[str, str] = {}
        self.cursors: dict[str, Optional[str]] = {}
        self.status: dict[str, DagsterRunStatus] = {}

    def add(self, run_id: str, label: str) -> None:
        self.labels[run_id] = label
        self.cursors[run_id] = None
        self.log(f"[{label}] queued as run {run_id}")

    def queued(self) -> bool:
        return any(self.status.get(r) in (None, DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED) for r in self.unfinished())

    def unfinished(self) -> list[str]:
        return [r for r in self.labels if self.status.get(r) not in FINISHED]

    def poll(self) -> None:
        for run_id in self.unfinished():
            run = self.instance.get_run_by_id(run_id)
            connection = self.instance.get_records_for_run(run_id, cursor=self.cursors[run_id], of_type=_PROGRESS_EVENTS)
            for record in connection.records:
                line = _progress_line(self.labels[run_id], record.event_log_entry)
                if line:
                    self.log(line)
            self.cursors[run_id] = connection.cursor
            if run is not None:
                self.status[run_id] = run.status

    def cancel(self, reason: str) -> None:
        """Cancel the runs not finished: queued ones leave the queue, running ones are terminated."""
        for run_id in self.unfinished():
            self.log(f"[{self.labels[run_id]}] cancelling ({reason})")
            try:
                self.instance.run_coordinator.cancel_run(run_id)
            except Exception as exc:  # the run may have finished in between
                self.log(f"[{self.labels[run_id]}] could not cancel: {root_cause_text(exc)}")


def root_cause_text(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return " ".join(str(exc).split())[:300] or type(exc).__name__
