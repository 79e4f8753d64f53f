"""Where alerts are delivered besides the alert log: a Slack-compatible webhook and e-mail over SMTP.

A channel's `send` either delivers or raises `ChannelError` with one redacted line naming the cause;
retrying is the alert log's job. The channels are built from the EDU_ALERT_* settings
(`edu_platform.lib.config`) at every call, so each sensor tick sees the current configuration.
"""

import hashlib
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Optional
from urllib.parse import urlsplit

from edu_platform.defs.alerts.alert import Alert
from edu_platform.lib.config import setting
from edu_platform.lib.redaction import redact

log = logging.getLogger(__name__)

CHANNEL_NAMES = ("webhook", "email")
SEND_TIMEOUT_SECONDS = 10.0
SMTP_DEFAULT_PORT = {"starttls": 587, "ssl": 465, "": 25}


class ChannelError(Exception):
    """A delivery that failed; the message is one redacted line naming the cause."""


def describe_webhook(url: str) -> str:
    """Where a webhook goes, without its token (for logs and errors)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


@dataclass(frozen=True)
class WebhookChannel:
    """A Slack-compatible incoming webhook: POST JSON `{"text": ..., "alert_id": ..., "alert": {fields}}`."""

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


def configured_channels() -> dict[str, object]:
    """The channels the EDU_ALERT_* settings turn on, by name: `webhook` with EDU_ALERT_WEBHOOK_URL, `email`
    with EDU_ALERT_SMTP_HOST and at least one recipient in EDU_ALERT_SMTP_TO."""
    channels: dict[str, object] = {}
    if url := setting("EDU_ALERT_WEBHOOK_URL"):
        channels["webhook"] = WebhookChannel(url)
    if host := setting("EDU_ALERT_SMTP_HOST"):
        recipients = tuple(a.strip() for a in (setting("EDU_ALERT_SMTP_TO") or "").split(",") if a.strip())
        if not recipients:
            log.warning("EDU_ALERT_SMTP_HOST is set but EDU_ALERT_SMTP_TO is empty: e-mail alerts are off")
        else:
            tls = setting("EDU_ALERT_SMTP_TLS")
            channels["email"] = EmailChannel(
                host=host,
                port=setting("EDU_ALERT_SMTP_PORT") or SMTP_DEFAULT_PORT[tls],
                sender=setting("EDU_ALERT_SMTP_FROM"),
                recipients=recipients,
                user=setting("EDU_ALERT_SMTP_USER"),
                password=setting("EDU_ALERT_SMTP_PASSWORD"),
                tls=tls,
            )
    return channels
