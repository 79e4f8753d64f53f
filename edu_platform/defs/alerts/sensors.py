"""Alerting sensors: failed asset checks (any severity, any source) and failed runs.

Open-source Dagster has no alert on a failed asset check, and a failed WARN check does not fail its
run, so `asset_check_alert_sensor` reads the ASSET_CHECK_EVALUATION records of the instance's event
log after its cursor (the event storage id) and turns each failed evaluation into an alert. The
alerts are written to `ops.alert_log` first, then the cursor moves, then the channels are served
from the log (see `edu_platform.defs.alerts.alert_log` for why that is exactly once).
"""

import time
from typing import Optional

from dagster import (
    DagsterEventType,
    DagsterInstance,
    EventRecordsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from edu_platform.defs.alerts.alert import Alert, asset_url, check_alert_id, run_failure_alert_id, run_url
from edu_platform.defs.alerts.alert_log import notify
from edu_platform.lib.config import setting
from edu_platform.lib.redaction import redact
from edu_platform.lib.schedules import default_sensor_status

SENSOR_INTERVAL_SECONDS = 30
BATCH_SIZE = 500
MAX_BATCHES_PER_TICK = 10
MAX_SAMPLE_KEYS = 10
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
FAILING_ROWS_KEYS = ("failing_rows", "dagster_dbt/failed_row_count", "failed_row_count", "dagster/row_count_failed")
SAMPLE_KEYS = ("sample_keys", "sample_values")


def first_tick_lookback_seconds() -> float:
    """With no cursor yet (a new deployment), only this much history is alerted on (EDU_ALERT_LOOKBACK_HOURS)."""
    return setting("EDU_ALERT_LOOKBACK_HOURS") * 3600


def _value(metadata, names):
    for name in names:
        if name in metadata:
            value = metadata[name]
            return getattr(value, "value", value)
    return None


def _int_or_none(value) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def run_partition(tags) -> Optional[str]:
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}...{end}"
    return None


def check_alert(record, run) -> Alert:
    """The alert for one failed ASSET_CHECK_EVALUATION record (`run` may be None if it was deleted)."""
    entry = record.event_log_entry
    evaluation = entry.dagster_event.event_specific_data
    tags = run.tags if run is not None else {}
    asset_key = evaluation.asset_key.to_user_string()
    severity = evaluation.severity.value if evaluation.severity is not None else "ERROR"
    partition = evaluation.partition or run_partition(tags)
    samples = _value(evaluation.metadata, SAMPLE_KEYS)
    samples = tuple(str(s) for s in samples[:MAX_SAMPLE_KEYS]) if isinstance(samples, (list, tuple)) else ()
    where = f" [{partition}]" if partition else ""
    return Alert(
        alert_id=check_alert_id(entry.run_id, asset_key, evaluation.check_name, partition, record.storage_id),
        kind="asset_check",
        title=f"{severity} check failed: {asset_key} {evaluation.check_name}{where}",
        run_id=entry.run_id,
        job_name=run.job_name if run is not None else None,
        asset_key=asset_key,
        check_name=evaluation.check_name,
        severity=severity,
        partition=partition,
        failing_rows=_int_or_none(_value(evaluation.metadata, FAILING_ROWS_KEYS)),
        sample_keys=samples,
        description=redact(evaluation.description),
        event_storage_id=record.storage_id,
        run_url=run_url(entry.run_id),
        asset_url=asset_url(asset_key),
    )


def _records_after(instance: DagsterInstance, event_type: DagsterEventType, after: Optional[int]):
    """Event records of `event_type` stored after the cursor `after`, oldest first, in batches; with no
    cursor yet (a new deployment) from `first_tick_lookback_seconds()` ago. Yields (record, run)."""
    storage = instance.event_log_storage
    if storage.is_run_sharded:
        raise RuntimeError(
            "the alert sensors need an event log with global ids (PostgreSQL, as dagster.yaml"
            " configures, or consolidated SQLite); this instance's SQLite storage is sharded per run"
        )
    runs: dict = {}
    cursor = after
    after_timestamp = None if after is not None else time.time() - first_tick_lookback_seconds()
    for _ in range(MAX_BATCHES_PER_TICK):
        records = storage.get_event_records(
            EventRecordsFilter(event_type=event_type, after_cursor=cursor, after_timestamp=after_timestamp),
            limit=BATCH_SIZE,
            ascending=True,
        )
        for record in records:
            cursor = record.storage_id
            run_id = record.event_log_entry.run_id
            if run_id not in runs:
                runs[run_id] = instance.get_run_by_id(run_id)
            yield record, runs[run_id]
        if len(records) < BATCH_SIZE:
            break


def _scan(instance, event_type, after, to_alert) -> tuple[list[Alert], Optional[int]]:
    alerts: list[Alert] = []
    cursor = after
    for record, run in _records_after(instance, event_type, after):
        cursor = record.storage_id
        alert = to_alert(record, run)
        if alert is not None:
            alerts.append(alert)
    return alerts, cursor


def failed_check_alerts(instance: DagsterInstance, after: Optional[int]) -> tuple[list[Alert], Optional[int]]:
    """Alerts for the failed check evaluations stored after `after`; returns them and the new cursor."""

    def to_alert(record, run):
        return None if record.event_log_entry.dagster_event.event_specific_data.passed else check_alert(record, run)

    return _scan(instance, DagsterEventType.ASSET_CHECK_EVALUATION, after, to_alert)


def failed_run_alerts(instance: DagsterInstance, after: Optional[int]) -> tuple[list[Alert], Optional[int]]:
    """Alerts for the runs that failed after `after` (RUN_FAILURE records); returns them and the new cursor."""
    return _scan(instance, DagsterEventType.RUN_FAILURE, after, lambda record, run: run_failure_alert(instance, record, run))


def parse_cursor(raw: Optional[str]) -> Optional[int]:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


@sensor(
    name="asset_check_alert_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=default_sensor_status(),
    description="Sends one alert per failed asset check (webhook, e-mail, ops.alert_log).",
)
def asset_check_alert_sensor(context: SensorEvaluationContext):
    return _alert_tick(context, failed_check_alerts, "failed check(s)")


def _alert_tick(context: SensorEvaluationContext, scan, what: str) -> SkipReason:
    """One tick: alerts after the cursor, logged durably and delivered, then the cursor moves on."""
    alerts, cursor = scan(context.instance, parse_cursor(context.cursor))
    new_ids, report = notify(alerts, logger=context.log)  # raises (cursor kept) if the log cannot be written
    if cursor is not None:
        context.update_cursor(str(cursor))
    summary = (
        f"{len(alerts)} {what}, {len(new_ids)} new alert(s); deliveries: {report.sent} sent,"
        f" {report.failed} failed, {report.deferred} waiting, {len(report.gave_up)} given up"
    )
    context.log.info(summary)
    return SkipReason(summary)


def run_failure_alert(instance: DagsterInstance, record, run) -> Optional[Alert]:
    """The alert for one RUN_FAILURE record: the run's failure message and its failed steps' first lines."""
    if run is None:
        return None
    entry = record.event_log_entry
    lines = [entry.dagster_event.message or entry.user_message or ""]
    step_failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    for step_entry in step_failures[:5]:
        event = step_entry.dagster_event
        error = event.event_specific_data.error if event.event_specific_data else None
        head = " ".join(line.strip() for line in error.message.strip().splitlines()[:3]) if error else ""
        lines.append(f"step {event.step_key}: {head[:400]}")
    partition = run_partition(run.tags)
    return Alert(
        alert_id=run_failure_alert_id(run.run_id),
        kind="run_failure",
        title=f"run failed: {run.job_name}" + (f" [{partition}]" if partition else ""),
        run_id=run.run_id,
        job_name=run.job_name,
        severity="ERROR",
        partition=partition,
        description=redact("\n".join(line for line in lines if line)),
        run_url=run_url(run.run_id),
    )


@sensor(
    name="run_failure_alert_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=default_sensor_status(),
    description=(
        "Sends one alert per failed run (webhook, e-mail, ops.alert_log). Reads RUN_FAILURE events after its"
        " cursor; its first tick looks back EDU_ALERT_LOOKBACK_HOURS (default 24), like the check alerts."
    ),
)
def run_failure_alert_sensor(context: SensorEvaluationContext):
    return _alert_tick(context, failed_run_alerts, "failed run(s)")
