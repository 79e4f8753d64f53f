"""Alerting end to end: real OULAD runs (dlt, dbt, Dagster with PostgreSQL storage, as deployed), the
real sensors evaluated against the instance, a real HTTP webhook and a real SMTP server on 127.0.0.1.

The tests run in file order and share one instance, one warehouse and the receivers: each scenario
starts from where the previous one left the sensor cursors (as a daemon would)."""

import shutil

import pytest
from dagster import AssetSelection, build_sensor_context, instance_for_test

from edu_platform.defs.alerts.sensors import asset_check_alert_sensor, run_failure_alert_sensor
from edu_platform.synthetic.oulad import generate
from edu_platform_tests.alerts.alert_receivers import SmtpReceiver, WebhookReceiver
from edu_platform_tests.helpers import check_results, environment, make_database, materialize_selection, started_steps, step_errors

ALL = AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold")
BRONZE = AssetSelection.groups("oulad_bronze")
UI = "http://dagster.example.test:3000"
SMTP_USER, SMTP_PASSWORD = "alerts", "Sup3r-Secret-Pw!"


@pytest.fixture(scope="module")
def webhook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def smtp():
    receiver = SmtpReceiver(SMTP_USER, SMTP_PASSWORD).start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory, module_monkeypatch, webhook, smtp):
    """A warehouse and a Dagster storage of this module's own, the channels pointed at the receivers."""
    warehouse = make_database("alerts_wh")
    storage = make_database("alerts_dagster")
    tmp = tmp_path_factory.mktemp("alerts")
    mp = module_monkeypatch
    mp.setenv("EDU_WAREHOUSE_URL", warehouse.libpq_url())
    mp.setenv("EDU_DLT_PIPELINES_DIR", str(tmp / "dlt"))
    mp.setenv("EDU_STATE_DIR", str(tmp / "state"))
    mp.setenv("EDU_DAGSTER_UI_URL", UI)
    mp.setenv("EDU_ALERT_WEBHOOK_URL", webhook.url)
    mp.setenv("EDU_ALERT_SMTP_HOST", "127.0.0.1")
    mp.setenv("EDU_ALERT_SMTP_PORT", str(smtp.port))
    mp.setenv("EDU_ALERT_SMTP_FROM", "dagster@edu.test")
    mp.setenv("EDU_ALERT_SMTP_TO", "data-team@edu.test, oncall@edu.test")
    mp.setenv("EDU_ALERT_SMTP_USER", SMTP_USER)
    mp.setenv("EDU_ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    mp.setenv("EDU_ALERT_RETRY_BACKOFF_SECONDS", "0.01")
    with instance_for_test(overrides={"storage": {"postgres": {"postgres_url": storage.sqlalchemy_url()}}}) as instance:
        yield {"warehouse": warehouse, "instance": instance, "tmp": tmp, "cursors": {}}


@pytest.fixture(scope="module")
def clean_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad_clean")
    generate(folder, scale=0.003)
    return folder


def _files(env, clean_files, name, mutate=None):
    folder = env["tmp"] / name
    shutil.copytree(clean_files, folder)
    if mutate:
        mutate(folder)
    return folder


def _duplicates_and_null_key(folder):
    """Three studentInfo rows repeated; one studentRegistration row loses its student id."""
    info = folder / "studentInfo.csv"
    lines = info.read_bytes().rstrip(b"\n").split(b"\n")
    info.write_bytes(b"\n".join(lines + lines[1:4]) + b"\n")
    reg = folder / "studentRegistration.csv"
    lines = reg.read_bytes().rstrip(b"\n").split(b"\n")
    fields = lines[5].split(b",")
    fields[2] = b'""'
    lines[5] = b",".join(fields)
    reg.write_bytes(b"\n".join(lines) + b"\n")


def _mostly_missing_imd(folder):
    """A soft expectation fails: most imd_band values are `?` (dbt test severity warn)."""
    info = folder / "studentInfo.csv"
    lines = info.read_bytes().rstrip(b"\n").split(b"\n")
    header = lines[0].split(b",")
    imd = header.index(b'"imd_band"')
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(b",")
        fields[imd] = b'"?"'
        out.append(b",".join(fields))
    info.write_bytes(b"\n".join(out) + b"\n")


def _run(env, folder, selection):
    with environment(OULAD_SOURCE=folder):
        return materialize_selection(selection, instance=env["instance"])


def _tick(env):
    """One evaluation of the check-alert sensor from the stored cursor, as the daemon would do."""
    from edu_platform.definitions import defs

    with build_sensor_context(
        instance=env["instance"], cursor=env["cursors"].get("checks"), repository_def=defs.get_repository_def()
    ) as context:
        data = asset_check_alert_sensor.evaluate_tick(context)
    env["cursors"]["checks"] = data.cursor
    return data


def _run_failure_tick(env):
    # no repository_def: runs launched by `materialize()` belong to no code location, and neither does this context
    with build_sensor_context(instance=env["instance"], cursor=env["cursors"].get("runs")) as context:
        data = run_failure_alert_sensor.evaluate_tick(context)
    env["cursors"]["runs"] = data.cursor
    return data


def _log(env, where="true"):
    cols = ("alert_id, kind, asset_key, check_name, severity, partition_key, run_id, failing_rows, sample_keys,"
            " webhook_status, webhook_attempts, webhook_last_error, email_status, email_attempts, email_last_error")
    names = [c.strip() for c in cols.split(",")]
    return [dict(zip(names, row)) for row in env["warehouse"].rows(f"select {cols} from ops.alert_log where {where} order by alert_id")]


def _failed(result) -> dict:
    return {k: v for k, v in check_results(result).items() if not v.passed}


def test_nothing_sent_when_every_check_passes(env, clean_files, webhook, smtp):
    result = _run(env, _files(env, clean_files, "clean"), ALL)
    assert result.success, step_errors(result)
    evaluations = check_results(result)
    assert len(evaluations) > 60 and not _failed(result)
    assert ("bronze/oulad/student_info", "freshness_check") in evaluations  # freshness rides along with loads

    data = _tick(env)
    assert data.cursor is not None and not data.run_requests
    assert "0 new alert(s)" in data.skip_message
    assert webhook.received == [] and smtp.received == []
    assert env["warehouse"].scalar("select count(*) from ops.alert_log") == 0
    assert _tick(env).cursor == data.cursor  # no new events, the cursor stays


def test_failed_checks_alert_once_on_every_channel(env, clean_files, webhook, smtp):
    result = _run(env, _files(env, clean_files, "broken", _duplicates_and_null_key), ALL)
    failed = _failed(result)
    assert set(failed) == {("bronze/oulad/student_info", "duplicate_keys"),
                           ("bronze/oulad/student_registration", "required_not_null")}
    assert not result.success and "oulad_dbt" not in started_steps(result)  # blocking: gold is not built
    cursor_before = env["cursors"]["checks"]

    data = _tick(env)
    assert "2 new alert(s); deliveries: 4 sent, 0 failed" in data.skip_message  # 2 alerts x 2 channels
    alerts = {(a["alert"]["asset_key"], a["alert"]["check_name"]): a for a in webhook.alerts}
    assert set(alerts) == set(failed) and len(webhook.alerts) == 2
    dup = alerts[("bronze/oulad/student_info", "duplicate_keys")]["alert"]
    assert dup["severity"] == "ERROR" and dup["run_id"] == result.run_id
    assert dup["run_url"] == f"{UI}/runs/{result.run_id}"
    assert dup["failing_rows"] == 6 and len(dup["sample_keys"]) == 3  # 3 keys, each on 2 rows
    assert dup.get("partition") is None  # OULAD is not partitioned
    text = alerts[("bronze/oulad/student_info", "duplicate_keys")]["text"]
    assert "duplicate_keys" in text and f"{UI}/runs/{result.run_id}" in text and "failing rows: 6" in text
    nulls = alerts[("bronze/oulad/student_registration", "required_not_null")]["alert"]
    assert nulls["failing_rows"] == 1 and len(nulls["sample_keys"]) == 1

    assert len(smtp.received) == 2
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert all("ERROR check failed: bronze/oulad/" in s for s in subjects)
    assert all(r["to"] == ["data-team@edu.test", "oncall@edu.test"] for r in smtp.received)
    assert len({m["Message-ID"] for m in smtp.messages}) == 2

    rows = _log(env)
    assert len(rows) == 2
    assert all(r["webhook_status"] == "sent" and r["email_status"] == "sent" for r in rows)
    assert all(r["webhook_attempts"] == 1 and r["email_attempts"] == 1 for r in rows)
    assert {r["run_id"] for r in rows} == {result.run_id}

    # the next tick, and a tick from an old cursor (a daemon restarted without its cursor), send nothing
    assert "0 new alert(s)" in _tick(env).skip_message
    env["cursors"]["checks"] = cursor_before
    assert "2 failed check(s), 0 new alert(s); deliveries: 0 sent" in _tick(env).skip_message
    assert len(webhook.received) == 2 and len(smtp.received) == 2
    assert env["warehouse"].scalar("select count(*) from ops.alert_log") == 2
    env["broken_run"] = result.run_id


def test_run_failure_sensor_alerts_through_the_same_channels(env, webhook, smtp):
    """The sensor's first tick happens after the run failed: it looks back (EDU_ALERT_LOOKBACK_HOURS)."""
    assert env["cursors"].get("runs") is None
    before_hooks, before_mails = len(webhook.received), len(smtp.received)
    first = _run_failure_tick(env)
    assert "1 failed run(s), 1 new alert(s)" in first.skip_message
    new = webhook.alerts[before_hooks:]
    assert len(new) == 1 and new[0]["alert"]["kind"] == "run_failure"
    assert new[0]["alert"]["run_id"] == env["broken_run"]
    assert new[0]["alert"]["run_url"] == f"{UI}/runs/{env['broken_run']}"
    assert len(smtp.received) == before_mails + 1
    assert "run failed" in smtp.messages[-1]["Subject"]
    row = _log(env, f"alert_id = 'run_failure:{env['broken_run']}'")
    assert row and row[0]["webhook_status"] == "sent" and row[0]["email_status"] == "sent"
    # evaluated again: the run-status cursor has moved past it
    _run_failure_tick(env)
    assert len(webhook.received) == before_hooks + 1 and len(smtp.received) == before_mails + 1


def test_soft_expectation_warns_and_alerts_without_failing_the_run(env, clean_files, webhook, smtp):
    before_hooks = len(webhook.received)
    result = _run(env, _files(env, clean_files, "imd_missing", _mostly_missing_imd), ALL)
    assert result.success, step_errors(result)  # a WARN check does not fail its run
    failed = _failed(result)
    assert len(failed) == 1
    (asset, check_name), evaluation = next(iter(failed.items()))
    assert asset == "silver/oulad/stg_oulad__student_info" and "max_null_share" in check_name
    assert evaluation.severity.value == "WARN"

    assert "1 new alert(s)" in _tick(env).skip_message
    new = webhook.alerts[before_hooks:]
    assert len(new) == 1
    alert = new[0]["alert"]
    assert (alert["asset_key"], alert["check_name"], alert["severity"]) == (asset, check_name, "WARN")
    assert alert["failing_rows"] >= 1  # from dagster_dbt/failed_row_count
    assert "WARN check failed" in smtp.messages[-1]["Subject"]


def test_receiver_down_keeps_alert_and_delivers_later(env, clean_files, webhook, smtp):
    webhook.stop()
    before_hooks, before_mails = len(webhook.received), len(smtp.received)
    result = _run(env, _files(env, clean_files, "broken_again", _duplicates_and_null_key), BRONZE)
    assert len(_failed(result)) == 2

    data = _tick(env)  # the webhook is down: e-mail still goes, the tick completes
    assert "2 new alert(s)" in data.skip_message
    assert len(smtp.received) == before_mails + 2
    rows = _log(env, f"run_id = '{result.run_id}'")
    assert len(rows) == 2 and all(r["email_status"] == "sent" for r in rows)
    assert all(r["webhook_status"] == "pending" for r in rows)
    assert sorted(r["webhook_attempts"] for r in rows) == [0, 3]  # 3 tries, then the rest wait for the next tick
    assert all("unreachable" in r["webhook_last_error"] for r in rows if r["webhook_attempts"])

    _tick(env)  # still down: still logged, still pending
    rows = _log(env, f"run_id = '{result.run_id}'")
    assert all(r["webhook_status"] == "pending" for r in rows) and sum(r["webhook_attempts"] for r in rows) == 6

    webhook.start()  # back up on the same port
    data = _tick(env)
    assert "0 new alert(s)" in data.skip_message
    new = webhook.alerts[before_hooks:]
    assert sorted((a["alert"]["asset_key"], a["alert"]["run_id"]) for a in new) == sorted(
        [("bronze/oulad/student_info", result.run_id), ("bronze/oulad/student_registration", result.run_id)]
    )
    assert len(smtp.received) == before_mails + 2  # e-mail was not sent twice
    assert all(r["webhook_status"] == "sent" for r in _log(env, f"run_id = '{result.run_id}'"))
    _tick(env)
    assert len(webhook.received) == before_hooks + 2


def test_secrets_never_reach_alerts_or_the_log(env, webhook, smtp):
    assert smtp.logins and set(smtp.logins) == {SMTP_USER}  # the password was used to log in ...
    everything = [str(a) for a in webhook.alerts] + [r["raw"] for r in smtp.received]
    everything += [str(r) for r in env["warehouse"].rows("select row_to_json(a)::text from ops.alert_log a")]
    assert everything
    for blob in everything:  # ... and appears nowhere, nor does the webhook's token
        assert SMTP_PASSWORD not in blob
        assert "not-a-real-token" not in blob


def test_a_failing_channel_is_logged_without_the_password(env, webhook, smtp, monkeypatch):
    """Wrong password: the e-mail channel fails and says so in the log, the webhook still delivers."""
    from edu_platform.defs.alerts.alert import Alert
    from edu_platform.defs.alerts.alert_log import AlertLog, notify
    from edu_platform.defs.alerts.channels import configured_channels

    monkeypatch.setenv("EDU_ALERT_SMTP_PASSWORD", "Wrong-Pw-123456")
    before_hooks, before_mails = len(webhook.received), len(smtp.received)
    alert = Alert(alert_id="check:manual:wrong-password", kind="asset_check", title="ERROR check failed: x",
                  asset_key="bronze/x/y", check_name="c", severity="ERROR")
    new_ids, report = notify([alert])
    assert new_ids == [alert.alert_id]
    assert len(webhook.received) == before_hooks + 1 and len(smtp.received) == before_mails
    row = _log(env, f"alert_id = '{alert.alert_id}'")[0]
    assert row["webhook_status"] == "sent" and row["email_status"] == "pending" and row["email_attempts"] == 3
    assert "refused the login" in row["email_last_error"] and "Wrong-Pw-123456" not in row["email_last_error"]
    monkeypatch.setenv("EDU_ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    report = AlertLog().deliver_pending(configured_channels())  # the next tick, password fixed
    assert report.sent == 1 and len(smtp.received) == before_mails + 1 and len(webhook.received) == before_hooks + 1
