"""Alerts on failed asset checks and failed runs: one durable row per alert in `ops.alert_log`, then
delivery to every configured channel (Slack-compatible webhook, e-mail over SMTP).

Exactly once, step by step:
1. An alert has a deterministic id (run id + check key + partition + event storage id, or the run id for
   a failed run). It is inserted into `ops.alert_log` with `ON CONFLICT DO NOTHING` *before* anything is
   sent, with one status per channel (`pending`, or `off` when the channel is not configured).
2. Delivery is driven by that table, never by the event stream: a channel is claimed with a conditional
   UPDATE (`pending` -> `sending`), sent (a few tries with backoff), then marked `sent`, or put back to
   `pending` with its attempts and last error, so a later tick retries it; after
   `EDU_ALERT_GIVE_UP_HOURS` it is marked `failed`. A channel failing never stops the others.
3. The sensors advance their cursor only after the alert rows are written, so a crash before that
   replays the events into the same ids (no new row), and a crash after it loses nothing.
The one remaining window is a crash between a receiver accepting a message and the `sent` update;
a claim left `sending` for `STALE_CLAIM_MINUTES` is retried (at least once rather than never). The
alert id travels with every message (JSON `alert_id`, e-mail Message-ID) so a receiver can dedupe.

Secrets (the SMTP password, the webhook URL's token, passwords in URLs or `*_PASSWORD` variables)
never appear in alert text, the table or logs: everything written or sent goes through `redact()`.
"""

import hashlib
import json
import logging
import os
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Callable, Iterable, Optional, Sequence
from urllib.parse import quote, urlsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extras import Json

from edu_platform.lib.warehouse import Warehouse, warehouse_as

log = logging.getLogger(__name__)

OPS_SCHEMA = "ops"
ALERT_TABLE = "alert_log"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
TRIES_PER_TICK = 3
STALE_CLAIM_MINUTES = 10
SEND_TIMEOUT_SECONDS = 10.0
TICK_DELIVERY_BUDGET_SECONDS = 40.0  # a sensor tick times out at 60 s; what is left waits for the next tick
SECRET_ENV_SUFFIXES = ("PASSWORD", "SECRET", "TOKEN", "SALT")
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")


# ----------------------------------------------------------------------------------------- settings


def ui_url() -> str:
    return (os.environ.get("EDU_DAGSTER_UI_URL") or DEFAULT_UI_URL).rstrip("/")


def run_url(run_id: str) -> str:
    return f"{ui_url()}/runs/{run_id}"


def asset_url(asset_key: str) -> str:
    return f"{ui_url()}/assets/{'/'.join(quote(part, safe='') for part in asset_key.split('/'))}?view=checks"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def give_up_hours() -> float:
    return _env_float("EDU_ALERT_GIVE_UP_HOURS", 24.0)


def retry_backoff_seconds() -> float:
    """First pause between tries within a tick (doubles each try)."""
    return _env_float("EDU_ALERT_RETRY_BACKOFF_SECONDS", 0.5)


# ----------------------------------------------------------------------------------------- redaction


def _secrets() -> list[str]:
    found = []
    for name, value in os.environ.items():
        if value and len(value) >= 4 and name.upper().endswith(SECRET_ENV_SUFFIXES):
            found.append(value)
    webhook = os.environ.get("EDU_ALERT_WEBHOOK_URL")
    if webhook:
        found.append(webhook)  # a Slack webhook URL is itself the credential
        parts = urlsplit(webhook)
        if parts.path and len(parts.path) > 1:
            found.append(parts.path)
    return sorted(set(found), key=len, reverse=True)


def redact(text):
    """Text safe to store, log and send: no configured secret, no password inside a URL."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", text)
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def describe_webhook(url: str) -> str:
    """Where a webhook goes, without its token (for logs and errors)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


# ----------------------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    """One failure to tell people about. `alert_id` is deterministic: the same failure, the same id."""

    alert_id: str
    kind: str  # "asset_check" | "run_failure"
    title: str
    run_id: Optional[str] = None
    job_name: Optional[str] = None
    asset_key: Optional[str] = None
    check_name: Optional[str] = None
    severity: Optional[str] = None
    partition: Optional[str] = None
    failing_rows: Optional[int] = None
    sample_keys: tuple = ()
    description: Optional[str] = None
    event_storage_id: Optional[int] = None
    run_url: Optional[str] = None
    asset_url: Optional[str] = None
    details: dict = field(default_factory=dict, compare=False)

    def fields(self) -> dict:
        """The structured fields sent with the text (JSON-serialisable, redacted)."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, (), {}, [])}
        out["sample_keys"] = list(self.sample_keys)
        return json.loads(redact(json.dumps(out, default=str)))

    def text(self) -> str:
        lines = [self.title]
        if self.kind == "asset_check":
            lines.append(f"asset: {self.asset_key}  check: {self.check_name}  severity: {self.severity}")
        lines.append(f"partition: {self.partition or '-'}  job: {self.job_name or '-'}")
        if self.failing_rows is not None:
            lines.append(f"failing rows: {self.failing_rows}")
        if self.sample_keys:
            lines.append("sample keys: " + ", ".join(str(k) for k in self.sample_keys))
        if self.description:
            lines.append(self.description.strip())
        if self.run_id:
            lines.append(f"run {self.run_id}: {self.run_url}")
        if self.asset_url:
            lines.append(f"asset: {self.asset_url}")
        lines.append(f"alert id: {self.alert_id}")
        return redact("\n".join(lines))


def check_alert_id(run_id: str, asset_key: str, check_name: str, partition: Optional[str], storage_id: int) -> str:
    return f"check:{run_id}:{asset_key}:{check_name}:{partition or ''}:{storage_id}"


def run_failure_alert_id(run_id: str) -> str:
    return f"run_failure:{run_id}"


# ----------------------------------------------------------------------------------------- channels


class ChannelError(Exception):
    pass


@dataclass(frozen=True)
class WebhookChannel:
    """A Slack-compatible incoming webhook: POST JSON `{"text": ..., "alert": {fields}}`."""

    url: str
    timeout: float = SEND_TIMEOUT_SECONDS
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        body = json.dumps({"text": alert.text(), "alert_id": alert.alert_id, "alert": alert.fields()}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "edu-platform-alerts"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"{describe_webhook(self.url)} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"{describe_webhook(self.url)} unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise ChannelError(f"{describe_webhook(self.url)} answered HTTP {status}")

    def __repr__(self) -> str:  # never show the token
        return f"WebhookChannel({describe_webhook(self.url)})"


@dataclass(frozen=True)
class EmailChannel:
    """E-mail over SMTP; `tls` is "starttls", "ssl" (implicit TLS) or "" (plain, e.g. a local relay)."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    tls: str = ""
    timeout: float = SEND_TIMEOUT_SECONDS
    name: str = "email"

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = redact(f"[edu_platform] {alert.title}")
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        digest = hashlib.sha256(alert.alert_id.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@edu-platform.alerts>"  # the same alert, the same id: receivers can dedupe
        msg["X-Edu-Alert-Id"] = alert.alert_id
        fields = "\n".join(f"{k}: {v}" for k, v in alert.fields().items() if k not in ("title", "details"))
        msg.set_content(f"{alert.text()}\n\n--\n{fields}\n")
        return msg

    def send(self, alert: Alert) -> None:
        msg = self.message(alert)
        try:
            if self.tls == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                refused = client.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"SMTP {self.host}:{self.port} refused the login of {self.user!r} ({exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(redact(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}")) from None
        if refused:
            raise ChannelError(f"SMTP {self.host}:{self.port} refused recipients {sorted(refused)}")


CHANNEL_NAMES = ("webhook", "email")


def configured_channels() -> dict[str, object]:
    """Channels set in the environment (read at every tick, so a change needs no restart)."""
    channels: dict[str, object] = {}
    if url := os.environ.get("EDU_ALERT_WEBHOOK_URL", "").strip():
        channels["webhook"] = WebhookChannel(url)
    if host := os.environ.get("EDU_ALERT_SMTP_HOST", "").strip():
        tls_raw = os.environ.get("EDU_ALERT_SMTP_TLS", "").strip().lower()
        tls = "starttls" if tls_raw in ("1", "true", "yes", "starttls") else "ssl" if tls_raw in ("ssl", "smtps") else ""
        default_port = {"starttls": 587, "ssl": 465}.get(tls, 25)
        recipients = tuple(a.strip() for a in os.environ.get("EDU_ALERT_SMTP_TO", "").split(",") if a.strip())
        if not recipients:
            log.warning("EDU_ALERT_SMTP_HOST is set but EDU_ALERT_SMTP_TO is empty: e-mail alerts are off")
        else:
            channels["email"] = EmailChannel(
                host=host,
                port=int(os.environ.get("EDU_ALERT_SMTP_PORT") or default_port),
                sender=os.environ.get("EDU_ALERT_SMTP_FROM") or "edu-platform@localhost",
                recipients=recipients,
                user=os.environ.get("EDU_ALERT_SMTP_USER") or None,
                password=os.environ.get("EDU_ALERT_SMTP_PASSWORD") or None,
                tls=tls,
            )
    return channels


# ----------------------------------------------------------------------------------------- the log

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
                delivery = _send_with_retries(channel, _alert_from_payload(payload), sleep)
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


def _alert_from_payload(payload: dict) -> Alert:
    data = dict(payload)
    data["sample_keys"] = tuple(data.get("sample_keys") or ())
    known = set(Alert.__dataclass_fields__)
    return Alert(**{k: v for k, v in data.items() if k in known})


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
