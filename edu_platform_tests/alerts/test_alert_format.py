"""What an alert says and what it never says (no Dagster run needed)."""

import pytest

from edu_platform.defs.alerts.sensors import parse_cursor, run_partition
from edu_platform.defs.alerts.alert import Alert, asset_url, run_url
from edu_platform.defs.alerts.channels import EmailChannel, WebhookChannel, configured_channels
from edu_platform.lib.redaction import redact

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`


def test_partition_comes_from_run_tags():
    assert run_partition({"dagster/partition": "2024-01-01"}) == "2024-01-01"
    assert run_partition({"dagster/asset_partition_range_start": "2024-01-01",
                          "dagster/asset_partition_range_end": "2024-03-01"}) == "2024-01-01...2024-03-01"
    assert run_partition({"dagster/asset_partition_range_start": "2024-01-01",
                          "dagster/asset_partition_range_end": "2024-01-01"}) == "2024-01-01"
    assert run_partition({}) is None


def test_cursor_survives_garbage():
    assert parse_cursor(None) is None and parse_cursor("") is None and parse_cursor("oops") is None
    assert parse_cursor("42") == 42


def test_links_use_the_configured_ui(monkeypatch):
    monkeypatch.delenv("EDU_DAGSTER_UI_URL", raising=False)
    assert run_url("abc") == "http://127.0.0.1:3000/runs/abc"
    monkeypatch.setenv("EDU_DAGSTER_UI_URL", "https://dagster.example.org/")
    assert run_url("abc") == "https://dagster.example.org/runs/abc"
    assert asset_url("bronze/dost/users") == "https://dagster.example.org/assets/bronze/dost/users?view=checks"


def test_redaction(monkeypatch):
    monkeypatch.setenv("EDU_ALERT_SMTP_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("EDU_ALERT_WEBHOOK_URL", "https://hooks.example.com/services/T1/B2/abcdef123")
    text = ("could not connect to postgresql://loader:pa55word@db:5432/wh with hunter2-secret via"
            " https://hooks.example.com/services/T1/B2/abcdef123")
    clean = redact(text)
    assert "pa55word" not in clean and "hunter2-secret" not in clean and "abcdef123" not in clean
    assert "postgresql://loader:***@db:5432/wh" in clean
    channels = configured_channels()
    assert "abcdef123" not in repr(channels["webhook"]) and isinstance(channels["webhook"], WebhookChannel)


def test_alert_text_and_fields(monkeypatch):
    monkeypatch.setenv("EDU_ALERT_SMTP_PASSWORD", "hunter2-secret")
    alert = Alert(
        alert_id="check:r1:bronze/dost/users:duplicate_keys:2024-01-01:7", kind="asset_check",
        title="ERROR check failed: bronze/dost/users duplicate_keys [2024-01-01]", run_id="r1",
        asset_key="bronze/dost/users", check_name="duplicate_keys", severity="ERROR", partition="2024-01-01",
        failing_rows=4, sample_keys=("17", "23"), description="leaked hunter2-secret here", run_url=run_url("r1"),
    )
    text = alert.text()
    for expected in ("bronze/dost/users", "duplicate_keys", "ERROR", "2024-01-01", "failing rows: 4", "17, 23", "/runs/r1"):
        assert expected in text
    assert "hunter2-secret" not in text and "hunter2-secret" not in str(alert.fields())
    assert alert.fields()["sample_keys"] == ["17", "23"]


def test_email_channel_settings(monkeypatch):
    for name, value in {"EDU_ALERT_SMTP_HOST": "smtp.example.org", "EDU_ALERT_SMTP_TO": "a@x.org, b@x.org",
                        "EDU_ALERT_SMTP_TLS": "starttls", "EDU_ALERT_SMTP_PASSWORD": "pw-123456"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EDU_ALERT_SMTP_PORT", raising=False)
    email = configured_channels()["email"]
    assert isinstance(email, EmailChannel)
    assert (email.port, email.tls, email.recipients) == (587, "starttls", ("a@x.org", "b@x.org"))
    assert "pw-123456" not in repr(email)
    message = email.message(Alert(alert_id="run_failure:r9", kind="run_failure", title="run failed: job"))
    assert message["Message-ID"] == email.message(Alert(alert_id="run_failure:r9", kind="run_failure", title="x"))["Message-ID"]
