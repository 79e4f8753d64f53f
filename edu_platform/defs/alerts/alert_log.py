"""The durable alert log, `ops.alert_log` in the warehouse: one row per alert, one status per channel, and
delivery driven by that table so every alert is sent exactly once per channel as far as a crash allows.

1. An alert is inserted with `ON CONFLICT DO NOTHING` *before* anything is sent (its id is deterministic:
   `edu_platform.defs.alerts.alert`), with one status per channel: `pending`, or `off` when the channel is
   not configured.
2. Delivery reads the table, never the event stream: a channel is claimed with a conditional UPDATE
   (`pending` -> `sending`), sent (a few tries with backoff), then marked `sent`, or put back to `pending`
   with its attempts and last error, so a later tick retries it; after EDU_ALERT_GIVE_UP_HOURS it is
   marked `failed`. A channel failing never stops the others.
3. The sensors advance their cursor only after the rows are written, so a crash before that replays the
   events into the same ids (no new row), and a crash after it loses nothing.
The one remaining window is a crash between a receiver accepting a message and the `sent` update: a claim
left `sending` for STALE_CLAIM_MINUTES is retried (at least once rather than never). The alert id travels
with every message (JSON `alert_id`, e-mail Message-ID) so a receiver can dedupe. Everything written goes
through `redact`.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

import psycopg2
from psycopg2 import sql
from psycopg2.extras import Json

from edu_platform.defs.alerts.alert import Alert
from edu_platform.defs.alerts.channels import CHANNEL_NAMES, ChannelError, configured_channels
from edu_platform.lib.config import setting
from edu_platform.lib.redaction import redact
from edu_platform.lib.warehouse import Warehouse, warehouse_as

log = logging.getLogger(__name__)

TRIES_PER_TICK = 3
STALE_CLAIM_MINUTES = 10
TICK_DELIVERY_BUDGET_SECONDS = 40.0  # a sensor tick times out at 60 s; what is left waits for the next tick


def give_up_hours() -> float:
    """How long an undeliverable alert is retried before it is marked `failed` (EDU_ALERT_GIVE_UP_HOURS)."""
    return setting("EDU_ALERT_GIVE_UP_HOURS")


def retry_backoff_seconds() -> float:
    """First pause between tries within a tick, doubled each try (EDU_ALERT_RETRY_BACKOFF_SECONDS)."""
    return setting("EDU_ALERT_RETRY_BACKOFF_SECONDS")


_COLUMNS_PER_CHANNEL = """
  {c}_status text NOT NULL DEFAULT 'off',
  {c}_attempts integer NOT NULL DEFAULT 0,
  {c}_last_error text,
  {c}_claimed_at timestamptz,
  {c}_sent_at timestamptz,"""

_DDL = (
    """CREATE TABLE IF NOT EXISTS ops.alert_log (
  alert_id text PRIMARY KEY,
  kind text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  event_storage_id bigint,
  run_id text,
  job_name text,
  asset_key text,
  check_name text,
  severity text,
  partition_key text,
  failing_rows bigint,
  sample_keys jsonb,
  description text,
  run_url text,
  message text NOT NULL,
  payload jsonb NOT NULL,"""
    + "".join(_COLUMNS_PER_CHANNEL.format(c=c) for c in CHANNEL_NAMES)
    + """
  CHECK (kind IN ('asset_check', 'run_failure'))
)"""
)

_ensured: set[str] = set()


@dataclass
class Delivery:
    alert_id: str
    channel: str
    ok: bool
    tries: int
    error: Optional[str] = None


@dataclass
class DeliveryReport:
    deliveries: list[Delivery] = field(default_factory=list)
    gave_up: list[tuple[str, str]] = field(default_factory=list)
    deferred: int = 0  # left for a later tick (channel down this tick, or out of time)

    @property
    def sent(self) -> int:
        return sum(1 for d in self.deliveries if d.ok)

    @property
    def failed(self) -> int:
        return sum(1 for d in self.deliveries if not d.ok)


class AlertLog:
    """`ops.alert_log` in the warehouse: the durable record of every alert and its deliveries."""

    def __init__(self, warehouse: Optional[Warehouse] = None):
        self.warehouse = warehouse or warehouse_as("transformer")

    def ensure(self) -> "AlertLog":
        key = self.warehouse.libpq_url()
        if key in _ensured:
            return self
        for attempt in range(3):  # two first ticks racing on CREATE ... IF NOT EXISTS can collide
            try:
                with self.warehouse.cursor() as cur:
                    cur.execute("SELECT to_regnamespace('ops') IS NULL")  # setup creates it; a role may not
                    if cur.fetchone()[0]:
                        cur.execute("CREATE SCHEMA IF NOT EXISTS ops")
                    cur.execute(_DDL)
                    cur.execute("CREATE INDEX IF NOT EXISTS alert_log_pending ON ops.alert_log (created_at) WHERE "
                                + " OR ".join(f"{c}_status IN ('pending', 'sending')" for c in CHANNEL_NAMES))
                break
            except (psycopg2.errors.UniqueViolation, psycopg2.errors.DuplicateObject):
                if attempt == 2:
                    raise
        _ensured.add(key)
        return self

    def record(self, alerts: Sequence[Alert], channels: Iterable[str]) -> list[str]:
        """Insert the alerts not logged yet (one transaction); returns the ids that are new."""
        if not alerts:
            return []
        self.ensure()
        channels = set(channels)
        inserted = []
        conn = self.warehouse.connect(autocommit=False)
        try:
            with conn, conn.cursor() as cur:
                for alert in alerts:
                    statuses = {f"{c}_status": "pending" if c in channels else "off" for c in CHANNEL_NAMES}
                    values = {
                        "alert_id": alert.alert_id,
                        "kind": alert.kind,
                        "event_storage_id": alert.event_storage_id,
                        "run_id": alert.run_id,
                        "job_name": alert.job_name,
                        "asset_key": alert.asset_key,
                        "check_name": alert.check_name,
                        "severity": alert.severity,
                        "partition_key": alert.partition,
                        "failing_rows": alert.failing_rows,
                        "sample_keys": Json(json.loads(redact(json.dumps(list(alert.sample_keys), default=str)))),
                        "description": redact(alert.description),
                        "run_url": alert.run_url,
                        "message": alert.text(),
                        "payload": Json(alert.fields()),
                        **statuses,
                    }
                    cur.execute(
                        sql.SQL("INSERT INTO ops.alert_log ({cols}) VALUES ({vals}) ON CONFLICT (alert_id) DO NOTHING"
                                " RETURNING alert_id").format(
                            cols=sql.SQL(", ").join(sql.Identifier(c) for c in values),
                            vals=sql.SQL(", ").join(sql.Placeholder(c) for c in values),
                        ),
                        values,
                    )
                    if cur.fetchone():
                        inserted.append(alert.alert_id)
        finally:
            conn.close()
        return inserted

    def _pending(self, channel: str, limit: int = 200) -> list[tuple[str, dict, bool]]:
        """(alert id, payload, expired) of alerts this channel still owes, oldest first."""
        self.ensure()
        c = sql.Identifier
        query = sql.SQL(
            "SELECT alert_id, payload, created_at < now() - make_interval(secs => %(give_up)s)"
            " FROM ops.alert_log WHERE {st} = 'pending'"
            " OR ({st} = 'sending' AND {claimed} < now() - make_interval(mins => %(stale)s))"
            # least-tried first: one alert a receiver keeps rejecting cannot hold back the others
            " ORDER BY {att}, created_at, alert_id LIMIT %(limit)s"
        ).format(st=c(f"{channel}_status"), claimed=c(f"{channel}_claimed_at"), att=c(f"{channel}_attempts"))
        with self.warehouse.cursor() as cur:
            cur.execute(query, {"give_up": give_up_hours() * 3600, "stale": STALE_CLAIM_MINUTES, "limit": limit})
            return cur.fetchall()

    def _claim(self, alert_id: str, channel: str) -> bool:
        c = sql.Identifier
        query = sql.SQL(
            "UPDATE ops.alert_log SET {st} = 'sending', {claimed} = now(), updated_at = now()"
            " WHERE alert_id = %s AND ({st} = 'pending'"
            " OR ({st} = 'sending' AND {claimed} < now() - make_interval(mins => %s))) RETURNING alert_id"
        ).format(st=c(f"{channel}_status"), claimed=c(f"{channel}_claimed_at"))
        with self.warehouse.cursor() as cur:
            cur.execute(query, (alert_id, STALE_CLAIM_MINUTES))
            return cur.fetchone() is not None

    def _finish(self, alert_id: str, channel: str, status: str, tries: int, error: Optional[str]) -> None:
        c = sql.Identifier
        query = sql.SQL(
            "UPDATE ops.alert_log SET {st} = %(status)s, {att} = {att} + %(tries)s,"
            " {err} = coalesce(%(error)s, {err}), {sent} = CASE WHEN %(status)s = 'sent' THEN now() ELSE {sent} END,"
            " {claimed} = NULL, updated_at = now() WHERE alert_id = %(id)s"
        ).format(
            st=c(f"{channel}_status"), att=c(f"{channel}_attempts"), err=c(f"{channel}_last_error"),
            sent=c(f"{channel}_sent_at"), claimed=c(f"{channel}_claimed_at"),
        )
        with self.warehouse.cursor() as cur:
            cur.execute(query, {"status": status, "tries": tries, "error": redact(error), "id": alert_id})

    def _give_up(self, alert_id: str, channel: str) -> None:
        self._finish(alert_id, channel, "failed", 0, f"gave up after {give_up_hours():g} h undelivered")

    def deliver_pending(
        self,
        channels: dict[str, object],
        logger: Optional[logging.Logger] = None,
        budget_seconds: float = TICK_DELIVERY_BUDGET_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> DeliveryReport:
        """Send every alert a configured channel still owes: this tick's and earlier ticks' leftovers.

        Each channel is independent: its failure is recorded and the others carry on. A channel that
        fails all its tries on one alert is not tried again this tick (it is down; the rest wait)."""
        logger = logger or log
        report = DeliveryReport()
        deadline = time.monotonic() + budget_seconds
        for name, channel in channels.items():
            if name not in CHANNEL_NAMES:
                continue
            pending = self._pending(name)
            for index, (alert_id, payload, expired) in enumerate(pending):
                if expired:
                    self._give_up(alert_id, name)
                    report.gave_up.append((alert_id, name))
                    logger.error("alert %s: %s gave up after %s h undelivered", alert_id, name, give_up_hours())
                    continue
                if time.monotonic() > deadline:
                    report.deferred += len(pending) - index
                    break
                if not self._claim(alert_id, name):
                    continue  # another evaluator has it
                delivery = _send_with_retries(channel, Alert.from_payload(payload), sleep)
                report.deliveries.append(delivery)
                if delivery.ok:
                    self._finish(alert_id, name, "sent", delivery.tries, None)
                    logger.info("alert %s sent by %s", alert_id, name)
                else:
                    self._finish(alert_id, name, "pending", delivery.tries, delivery.error)
                    logger.warning("alert %s: %s failed %d times (%s); retried next tick",
                                   alert_id, name, delivery.tries, delivery.error)
                    report.deferred += len(pending) - index - 1  # the channel is down: the rest wait
                    break
        return report


def _send_with_retries(channel, alert: Alert, sleep: Callable[[float], None]) -> Delivery:
    error = None
    pause = retry_backoff_seconds()
    for attempt in range(1, TRIES_PER_TICK + 1):
        try:
            channel.send(alert)
            return Delivery(alert.alert_id, channel.name, True, attempt)
        except Exception as exc:  # a channel must never break the sensor
            error = redact(f"{type(exc).__name__}: {exc}" if not isinstance(exc, ChannelError) else str(exc))
            if attempt < TRIES_PER_TICK:
                sleep(pause)
                pause *= 2
    return Delivery(alert.alert_id, channel.name, False, TRIES_PER_TICK, error)


def notify(alerts: Sequence[Alert], logger: Optional[logging.Logger] = None,
           warehouse: Optional[Warehouse] = None) -> tuple[list[str], DeliveryReport]:
    """Log the alerts durably (idempotent), then deliver whatever is owed. The insert must succeed
    (an exception reaches the caller, whose cursor then does not advance); delivery never raises
    for a channel problem."""
    channels = configured_channels()
    alert_log = AlertLog(warehouse)
    new_ids = alert_log.record(alerts, channels)
    report = alert_log.deliver_pending(channels, logger=logger)
    return new_ids, report
