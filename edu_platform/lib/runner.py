"""`edu-platform run`: materialize a selection through the Dagster instance, catching up partitions,
and summarise what gold holds and which checks failed."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from dagster import (
    AssetCheckSeverity,
    AssetSelection,
    DagsterInstance,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    materialize,
)

from dagster._core.definitions.backfill_policy import BackfillPolicyType
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from edu_platform.lib.warehouse import get_warehouse


@dataclass
class RunSummary:
    runs: list[tuple[str, bool]] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # asset, check, severity, text
    failed_steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        blocking = [c for c in self.checks_failed if c[2] == "ERROR"]
        return all(ok for _, ok in self.runs) and not blocking and not self.failed_steps

    def add(self, label: str, result) -> None:
        self.runs.append((label, result.success))
        for event in result.all_events:
            if event.event_type_value == "ASSET_CHECK_EVALUATION":
                ev = event.event_specific_data
                if ev.passed:
                    self.checks_passed += 1
                else:
                    severity = "ERROR" if ev.severity == AssetCheckSeverity.ERROR else "WARN"
                    self.checks_failed.append((ev.asset_key.to_user_string(), ev.check_name, severity, _describe(ev)))
            elif event.event_type_value == "STEP_FAILURE":
                error = event.event_specific_data.error
                message = error.message.strip().splitlines()[0] if error else ""
                self.failed_steps.append(f"{label}: {event.step_key}: {message}")


def _describe(evaluation) -> str:
    """The check's own description, else the failing-row count dbt tests report in their metadata."""
    if evaluation.description:
        return evaluation.description
    metadata = evaluation.metadata or {}
    count = metadata.get("dagster_dbt/failed_row_count") or metadata.get("failing_rows")
    return f"{count.value} failing rows" if count is not None else ""


def _partition_groups(defs, selection: AssetSelection):
    graph = defs.resolve_asset_graph()
    keys = selection.resolve(graph)
    groups: dict[Optional[PartitionsDefinition], set] = defaultdict(set)
    for key in keys:
        node = graph.get(key)
        if node.is_materializable:
            groups[node.partitions_def].add(key)
    return groups


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


CLI_PID_TAG = "edu_platform/cli_pid"


def release_abandoned_runs(instance: DagsterInstance, log=print) -> int:
    """Runs started by an `edu-platform run` process that no longer exists (killed, crashed) are marked
    failed and their pool slots freed, so a re-run is never blocked by a dead run's concurrency claims."""
    import os

    from dagster import DagsterRunStatus, RunsFilter

    released = 0
    stuck = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED]))
    for run in stuck:
        pid = run.tags.get(CLI_PID_TAG)
        if not pid or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        instance.report_run_failed(run, "the edu-platform process running it is gone (killed or crashed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released += 1
    if released:
        log(f"released {released} abandoned run(s) of a previous edu-platform process")
    return released


def run_selection(
    selection: AssetSelection,
    instance: DagsterInstance,
    partition: Optional[str] = None,
    log=print,
) -> RunSummary:
    from edu_platform.definitions import defs

    import os

    summary = RunSummary()
    assets = [*defs.assets, *(defs.asset_checks or [])]
    release_abandoned_runs(instance, log)
    pid_tag = {CLI_PID_TAG: str(os.getpid())}
    groups = sorted(_partition_groups(defs, selection).items(), key=lambda item: item[0] is not None)
    for partitions_def, keys in groups:  # unpartitioned first: partitioned models may read them (dim_date)
        group_selection = AssetSelection.assets(*keys) & selection
        if partitions_def is None:
            if partition:
                continue
            log(f"materializing {len(keys)} unpartitioned assets")
            result = materialize(
                assets, selection=group_selection, instance=instance, resources=defs.resources, tags=pid_tag,
                raise_on_error=False,
            )
            summary.add("unpartitioned", result)
            continue
        todo = [partition] if partition else _partition_keys_to_run(partitions_def, keys, instance)
        if not partition and _single_run(defs, keys) and isinstance(partitions_def, TimeWindowPartitionsDefinition):
            # single-run backfill policy: each stretch of consecutive missing partitions is one run
            for first, last in _consecutive(todo, partitions_def.get_partition_keys()):
                log(f"materializing {len(keys)} assets for partitions {first}...{last}")
                result = materialize(
                    assets, selection=group_selection, instance=instance, resources=defs.resources,
                    tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last, **pid_tag},
                    raise_on_error=False,
                )
                summary.add(f"partitions {first}...{last}", result)
            continue
        for key in todo:
            log(f"materializing {len(keys)} assets for partition {key}")
            result = materialize(
                assets, selection=group_selection, instance=instance, resources=defs.resources,
                partition_key=str(key), tags=pid_tag, raise_on_error=False,
            )
            summary.add(f"partition {key}", result)
    return summary


def _single_run(defs, keys) -> bool:
    graph = defs.resolve_asset_graph()
    policies = [graph.get(key).backfill_policy for key in keys]
    return all(p is not None and p.policy_type == BackfillPolicyType.SINGLE_RUN for p in policies)


def _consecutive(todo: list, all_keys: list) -> list[tuple[str, str]]:
    """(first, last) of each run of consecutive partition keys in `todo`."""
    position = {key: i for i, key in enumerate(all_keys)}
    ranges: list[list] = []
    for key in sorted(todo, key=position.__getitem__):
        if ranges and position[key] == position[ranges[-1][1]] + 1:
            ranges[-1][1] = key
        else:
            ranges.append([key, key])
    return [(str(a), str(b)) for a, b in ranges]


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
    lines.append(f"== checks: {summary.checks_passed} passed, {len(summary.checks_failed)} failed ==")
    for asset, check, severity, text in summary.checks_failed:
        lines.append(f"  FAILED [{severity}] {asset} :: {check} — {text}")
    for step in summary.failed_steps:
        lines.append(f"  STEP FAILED {step}")
    lines.append("OK" if summary.ok else "FAILED")
    return "\n".join(lines)
