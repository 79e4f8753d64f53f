"""`edu-platform run`: plan runs of the named jobs for a selection (catching up partitions), submit them to
the Dagster instance's run queue, follow them, and summarise what gold holds and which checks failed.

Every run is a run of a named job (one per source and cadence), so the Runs page shows its job, its
partition or range and `edu_platform/launched_by=cli`, and the queue's concurrency limits apply to it. A job
whose assets read another job's assets (every gold star reads the shared calendar) is submitted once the
other job's runs have finished; independent sources run side by side and never stop each other."""

import contextlib
import getpass
import signal
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from dagster import (
    AssetCheckSeverity,
    AssetSelection,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    MultiPartitionKey,
    TimeWindowPartitionsDefinition,
)

from edu_platform.lib.partitions import not_landed_yet, partitions_for_key, range_runs
from edu_platform.lib.run_queue import (
    LAUNCHED_BY_TAG, Follower, RunRequest, ensure_daemon, pid_alive, root_cause, run_queue_daemon, submit_runs,
)
from edu_platform.lib.schedules import PIPELINE_TAG
from edu_platform.lib.warehouse import get_warehouse

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
CANCEL_WAIT_SECONDS = 60
DAEMON_CHECK_SECONDS = 60  # how often runs waiting in the queue make sure a daemon is there to dequeue them


@dataclass
class CheckOutcome:
    asset: str
    check: str
    severity: str  # ERROR (blocking) or WARN
    errored: bool  # the check could not run (a missing relation, an SQL error), as opposed to failing rows
    text: str


@dataclass
class RunSummary:
    runs: list[tuple[str, bool]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[CheckOutcome] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        blocking = [c for c in self.checks_failed if c.severity == "ERROR" or c.errored]
        return all(ok for _, ok in self.runs) and not blocking and not self.failed_steps

    def add_run(self, instance: DagsterInstance, run_id: str, label: str) -> None:
        run = instance.get_run_by_id(run_id)
        self.runs.append((label, run is not None and run.status == DagsterRunStatus.SUCCESS))
        step_failures = 0
        for entry in instance.all_logs(run_id, of_type={DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.STEP_FAILURE}):
            event = entry.dagster_event
            if event.event_type == DagsterEventType.STEP_FAILURE:
                step_failures += 1
                self.failed_steps.append(f"{label}: {event.step_key}: {root_cause(event.event_specific_data.error)}")
                continue
            evaluation = event.event_specific_data
            if evaluation.passed:
                self.checks_passed += 1
                continue
            severity = "ERROR" if evaluation.severity == AssetCheckSeverity.ERROR else "WARN"
            errored = _status(evaluation) == "error"
            self.checks_failed.append(
                CheckOutcome(evaluation.asset_key.to_user_string(), evaluation.check_name, severity, errored, _describe(evaluation))
            )
        if run is not None and run.status == DagsterRunStatus.CANCELED:
            self.cancelled.append(label)
        elif run is not None and run.status != DagsterRunStatus.SUCCESS and not step_failures:
            failure = instance.all_logs(run_id, of_type={DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED})
            message = failure[-1].dagster_event.message if failure else f"run ended {run.status.value}"
            self.failed_steps.append(f"{label}: {' '.join((message or '').split())[:300]}")


def _status(evaluation) -> Optional[str]:
    value = (evaluation.metadata or {}).get("status")
    return str(getattr(value, "value", value)) if value is not None else None


def _describe(evaluation) -> str:
    """What went wrong: an errored test's dbt message, else the check's description, else the failing rows."""
    metadata = evaluation.metadata or {}
    if _status(evaluation) == "error":
        return evaluation.description or "the test could not run (see the dbt step's log)"
    if evaluation.description:
        return evaluation.description
    count = metadata.get("dagster_dbt/failed_row_count") or metadata.get("failing_rows")
    value = getattr(count, "value", count)
    return f"{value} failing rows" if value else ""


def _job_assets(defs) -> dict[str, set]:
    """Each named job's materializable asset keys. Every materializable asset belongs to exactly one job."""
    return {job.name: set(defs.resolve_job_def(job.name).asset_layer.executable_asset_keys) for job in defs.jobs}


def job_of_assets(defs) -> dict:
    owner = {}
    for job_name, keys in _job_assets(defs).items():
        for key in keys:
            if key in owner:
                raise ValueError(f"asset {key.to_user_string()} is in two jobs: {owner[key]} and {job_name}")
            owner[key] = job_name
    return owner


def _upstream_jobs(defs, graph, job_keys: dict[str, set]) -> dict[str, set]:
    owner = {key: job for job, keys in job_keys.items() for key in keys}
    upstream: dict[str, set] = defaultdict(set)
    for job, keys in job_keys.items():
        for key in keys:
            for parent in graph.get(key).parent_keys:
                if parent in owner and owner[parent] != job:
                    upstream[job].add(owner[parent])
    return upstream


def _partition_keys_to_run(partitions_def, keys, instance) -> list:
    """Every partition not yet materialized for all of `keys`, plus the latest (newly landed data)."""
    all_keys = partitions_def.get_partition_keys(dynamic_partitions_store=instance)
    if not all_keys:
        return []
    done = None
    for key in keys:
        materialized = instance.get_materialized_partitions(key)
        done = materialized if done is None else done & materialized
    todo = [k for k in all_keys if k not in (done or set())]
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        latest = [all_keys[-1]]
    else:
        latest = _latest_multi_keys(partitions_def, all_keys)
    return list(dict.fromkeys(todo + [k for k in latest if k not in todo]))


def _latest_multi_keys(partitions_def, all_keys) -> list:
    """For month x dimension partitions: the latest month, for every value of the other dimension."""
    try:
        time_dim = partitions_def.time_window_dimension.name
    except Exception:
        return [all_keys[-1]]
    latest_month = max(k.keys_by_dimension[time_dim] for k in all_keys)
    return [k for k in all_keys if k.keys_by_dimension[time_dim] == latest_month]


def _partition_tags(key) -> dict[str, str]:
    tags = {PARTITION_TAG: str(key)}
    if isinstance(key, MultiPartitionKey):
        tags.update({f"{PARTITION_TAG}/{dim}": value for dim, value in key.keys_by_dimension.items()})
    return tags


def _single_run(graph, keys) -> bool:
    policies = [graph.get(key).backfill_policy for key in keys]
    return all(p is not None and p.policy_type == BackfillPolicy.single_run().policy_type for p in policies)


def plan_runs(defs, selection: AssetSelection, instance: DagsterInstance, partition: Optional[str] = None,
              log=print) -> tuple[list[tuple[RunRequest, set]], list[str]]:
    """The runs a selection needs, each with the jobs it waits for; and notes for the summary."""
    graph = defs.resolve_asset_graph()
    selected = {k for k in selection.resolve(graph) if graph.get(k).is_materializable}
    job_keys = _job_assets(defs)
    outside = selected - set().union(*job_keys.values())
    if outside:
        raise ValueError(f"no job materializes {sorted(k.to_user_string() for k in outside)}")
    upstream = _upstream_jobs(defs, graph, job_keys)
    shared_jobs = {j for j in job_keys if defs.resolve_job_def(j).tags.get(PIPELINE_TAG) == "shared"}
    base_tags = {LAUNCHED_BY_TAG: "cli", "edu_platform/cli_user": _user()}
    planned: list[tuple[RunRequest, set]] = []
    notes: list[str] = []
    partition_used = False
    tried = []  # the partitions definitions --partition was tried on
    for job_name, keys in sorted(job_keys.items()):
        subset = keys & selected
        if not subset:
            continue
        asset_keys = checks = None
        if subset != keys:
            asset_keys = [k.path for k in sorted(subset, key=lambda k: k.path)]
            checks = [(c.asset_key.path, c.name) for c in sorted(graph.asset_check_keys, key=str) if c.asset_key in subset]
        partitions_def = defs.resolve_job_def(job_name).partitions_def
        waits = {j for j in upstream.get(job_name, set()) if j != job_name}
        if job_name not in shared_jobs:  # the sources' tests join on the shared calendar: it is built first
            waits |= shared_jobs

        def request(label, tags):
            planned.append((RunRequest(job_name, label, {**base_tags, **tags}, asset_keys, checks), waits))

        if partitions_def is None:
            if partition:
                continue
            request(job_name, {})
            continue
        if partition:
            tried.append(partitions_def)
            if not _has_partition(partitions_def, partition, instance):
                notes.append(f"{job_name}: no partition {partition!r}, skipped")
                continue
            partition_used = True
            key = partitions_def.get_partition_key_from_str(partition) if hasattr(partitions_def, "get_partition_key_from_str") else partition
            request(f"{job_name} [{partition}]", _partition_tags(key))
            continue
        todo = _partition_keys_to_run(partitions_def, subset, instance)
        skipped = not_landed_yet(todo)  # the newest period of landed files still to arrive: a note, not a failure
        notes += [f"not landed yet: {reason}" for reason in skipped.values()]
        todo = [k for k in todo if str(k) not in skipped]
        if _single_run(graph, subset):
            # single-run backfill policy: one run per range (a stretch of weeks; months x nanodegrees)
            for r in range_runs(partitions_def, todo, instance):
                if r.start == r.end:
                    key = partitions_def.get_partition_key_from_str(r.start) if hasattr(partitions_def, "get_partition_key_from_str") else r.start
                    request(f"{job_name} [{r.start}]", _partition_tags(key))
                else:
                    request(f"{job_name} [{r.start}...{r.end}]", {RANGE_START_TAG: r.start, RANGE_END_TAG: r.end})
        else:
            for key in todo:
                request(f"{job_name} [{key}]", _partition_tags(key))
    if partition and not partition_used:
        partitions_for_key(tried, partition, instance)  # raises naming the day it opens, or the key's shape
        raise ValueError(f"no selected job has a partition {partition!r}")
    return planned, notes


def _has_partition(partitions_def, key: str, instance) -> bool:
    try:
        return partitions_def.has_partition_key(key, dynamic_partitions_store=instance)
    except Exception:
        return False


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def release_abandoned_runs(instance: DagsterInstance, log=print) -> int:
    """Runs this CLI's daemon started whose run worker process is gone (killed with its daemon, a crash) are
    marked failed and their pool slots freed, so a re-run is never blocked by a dead run's claims."""
    from dagster import RunsFilter

    released = 0
    stuck = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING], tags={LAUNCHED_BY_TAG: "cli"}))
    for run in stuck:
        pid = _run_worker_pid(instance, run.run_id)
        if pid is None or pid_alive(pid):
            continue
        instance.report_run_failed(run, "the process running it is gone (killed or crashed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released += 1
    if released:
        log(f"released {released} abandoned run(s) of a previous edu-platform process")
    return released


def _run_worker_pid(instance, run_id) -> Optional[int]:
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data
        pid = (getattr(data, "metadata", None) or {}).get("pid")
        if pid is not None:
            return int(getattr(pid, "value", pid))
    return None


class _Interrupted(Exception):
    pass


def _raise_interrupt(signum, frame):
    raise _Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def _interrupts_held():
    """A SIGINT/SIGTERM received during the block is raised when it ends: a submission is never cut between the
    queue creating its runs and the CLI following them, so Ctrl-C always cancels every run it submitted."""
    received: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if received:
            raise _Interrupted(signal.Signals(received[0]).name)


def run_selection(
    selection: AssetSelection,
    instance: DagsterInstance,
    partition: Optional[str] = None,
    log=print,
    poll_seconds: float = 1.0,
) -> RunSummary:
    """Plan, submit and follow the runs; Ctrl-C (SIGINT) or SIGTERM cancels the runs not finished."""
    from edu_platform.definitions import defs

    summary = RunSummary()
    planned, summary.notes = plan_runs(defs, selection, instance, partition, log)
    if not planned:
        log("nothing to run for this selection")
        return summary
    release_abandoned_runs(instance, log)
    follower = Follower(instance, log)
    previous = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    pending = list(planned)
    submitted: dict[str, list[str]] = defaultdict(list)  # job -> run ids
    last_daemon_check = time.time()
    try:
        with run_queue_daemon(instance, log):
            try:
                while pending or follower.unfinished():
                    ready = [(r, w) for r, w in pending if not any(
                        run_id in follower.unfinished() for job in w for run_id in submitted.get(job, []))]
                    # a job waits for the jobs it reads from only while they are still planned or running
                    ready = [(r, w) for r, w in ready if not any(p.job_name in w for p, _ in pending)]
                    if ready:
                        with _interrupts_held():
                            run_ids = submit_runs(instance, [r for r, _ in ready])
                            for (req, waits), run_id in zip(ready, run_ids):
                                follower.add(run_id, req.label)
                                submitted[req.job_name].append(run_id)
                                pending.remove((req, waits))
                    follower.poll()
                    if time.time() - last_daemon_check > DAEMON_CHECK_SECONDS and follower.queued():
                        ensure_daemon(instance, log)
                        last_daemon_check = time.time()
                    time.sleep(poll_seconds)
            except _Interrupted as interrupted:
                pending.clear()
                summary.interrupted = True
                follower.cancel(f"{interrupted} received")
                deadline = time.time() + CANCEL_WAIT_SECONDS
                while follower.unfinished() and time.time() < deadline:
                    follower.poll()
                    time.sleep(poll_seconds)
                summary.notes.append(f"interrupted ({interrupted}): unfinished runs were cancelled")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for run_id, label in follower.labels.items():
        summary.add_run(instance, run_id, label)
    return summary


def gold_row_counts() -> list[tuple[str, int]]:
    wh = get_warehouse()
    tables = wh.rows(
        "select table_name from information_schema.tables where table_schema = 'gold' order by table_name"
    )
    out = []
    with wh.cursor() as cur:
        for (table,) in tables:
            cur.execute(f'select count(*) from gold."{table}"')
            out.append((table, cur.fetchone()[0]))
    return out


def format_summary(summary: RunSummary) -> str:
    lines = ["", "== gold tables =="]
    for table, n in gold_row_counts():
        lines.append(f"  gold.{table:<40} {n:>12,} rows")
    lines.append("")
    lines.append(f"== runs: {sum(ok for _, ok in summary.runs)} succeeded, {sum(not ok for _, ok in summary.runs)} failed ==")
    for label, ok in summary.runs:
        if not ok:
            lines.append(f"  RUN {'CANCELLED' if label in summary.cancelled else 'FAILED'} {label}")
    lines.append(f"== checks: {summary.checks_passed} passed, {len(summary.checks_failed)} failed ==")
    for c in summary.checks_failed:
        verdict = "ERRORED" if c.errored else "FAILED"
        lines.append(f"  {verdict} [{c.severity}] {c.asset} :: {c.check}" + (f" — {c.text}" if c.text else ""))
    for step in summary.failed_steps:
        lines.append(f"  STEP FAILED {step}")
    for note in summary.notes:
        lines.append(f"  note: {note}")
    lines.append("OK" if summary.ok else "FAILED")
    return "\n".join(lines)
