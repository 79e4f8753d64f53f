"""The operator's path: a real `dagster dev` (webserver + daemon, sensors on as in a deployment) runs the
OULAD job over files with duplicated keys; the failed check shows on its asset in the UI's API and
reaches a local webhook within about one sensor interval, once."""

import time

import pytest
from dagster_graphql import DagsterGraphQLClient

from edu_platform.defs.alerts.sensors import SENSOR_INTERVAL_SECONDS
from edu_platform.synthetic.oulad import generate
from edu_platform_tests.helpers import SESSION_DIR, make_database
from edu_platform_tests.alerts.alert_receivers import WebhookReceiver
from edu_platform_tests.dagster_dev import running_dagster_dev


@pytest.fixture(scope="module")
def webhook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def broken_oulad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad_daemon")
    generate(folder, scale=0.003)
    info = folder / "studentInfo.csv"
    lines = info.read_bytes().rstrip(b"\n").split(b"\n")
    info.write_bytes(b"\n".join(lines + lines[1:3]) + b"\n")
    return folder


@pytest.fixture(scope="module")
def daemon(webhook, broken_oulad):
    warehouse = make_database("alerts_daemon_wh")
    env = {
        "EDU_WAREHOUSE_URL": warehouse.libpq_url(),
        **warehouse.dbt_env(),
        "EDU_DLT_PIPELINES_DIR": str(SESSION_DIR / "alerts_dlt"),
        "OULAD_SOURCE": str(broken_oulad),
        "EDU_SENSORS_RUNNING": "1",
        "EDU_ALERT_WEBHOOK_URL": webhook.url,
    }
    with running_dagster_dev("alerts", env) as server:
        yield DagsterGraphQLClient("127.0.0.1", port_number=server.port, timeout=60), server.log


def _wait(predicate, seconds, what, log):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; dagster dev log:\n{log.read_text()[-3000:]}")


CHECK_STATUS = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name
      executionForLatestMaterialization { status runId evaluation { severity } } } } } }
  }
}"""


def test_failed_check_is_visible_and_reaches_the_webhook_within_a_sensor_interval(daemon, webhook):
    client, log = daemon
    run_id = client.submit_job_execution("oulad_monthly_job", repository_location_name="edu_platform")
    status = _wait(lambda: (s := client.get_run_status(run_id).value) in ("SUCCESS", "FAILURE", "CANCELED") and s,
                   300, "the run to finish", log)
    assert status == "FAILURE"  # a blocking check failed
    finished = time.time()

    checks = client._execute(CHECK_STATUS, {"path": ["bronze", "oulad", "student_info"]})
    by_name = {c["name"]: c for c in checks["assetNodeOrError"]["assetChecksOrError"]["checks"]}
    latest = by_name["duplicate_keys"]["executionForLatestMaterialization"]
    assert latest["runId"] == run_id and latest["status"] == "FAILED" and latest["evaluation"]["severity"] == "ERROR"

    def ours():
        return [a for a in webhook.alerts if a["alert"].get("run_id") == run_id]

    _wait(lambda: any(a["alert"].get("check_name") == "duplicate_keys" for a in ours()),
          2 * SENSOR_INTERVAL_SECONDS + 30, "the check alert", log)
    assert time.time() - finished < 2 * SENSOR_INTERVAL_SECONDS + 30
    _wait(lambda: any(a["alert"]["kind"] == "run_failure" for a in ours()),
          2 * SENSOR_INTERVAL_SECONDS + 30, "the run-failure alert", log)
    time.sleep(SENSOR_INTERVAL_SECONDS + 5)  # another tick of each sensor: nothing repeats
    kinds = sorted((a["alert"]["kind"], a["alert"].get("check_name")) for a in ours())
    assert kinds == [("asset_check", "duplicate_keys"), ("run_failure", None)]
    alert = next(a["alert"] for a in ours() if a["alert"]["kind"] == "asset_check")
    assert alert["asset_key"] == "bronze/oulad/student_info" and alert["failing_rows"] == 4
    assert alert["run_url"].endswith(f"/runs/{run_id}")
