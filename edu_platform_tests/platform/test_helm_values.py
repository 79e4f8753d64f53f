"""deploy/helm/values.yaml (Dagster's official chart) checked against what the platform needs. No cluster runs
here: this holds the file to the image, run launcher, secrets, storage and queue limits the platform uses."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())


@pytest.fixture(scope="module")
def deployment(values):
    user = values["dagster-user-deployments"]
    assert user["enabled"] and len(user["deployments"]) == 1
    return user["deployments"][0]


def test_user_code_runs_the_platform_module_from_the_image(deployment):
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module]
    assert deployment["image"]["repository"] and deployment["image"]["tag"]


def test_one_kubernetes_job_per_run_with_the_runtime_secrets(values, deployment):
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    secrets = {s["name"] for s in launcher["config"]["k8sRunLauncher"]["envSecrets"]}
    assert "edu-platform-runtime" in secrets
    assert {s["name"] for s in deployment["envSecrets"]} == {"edu-platform-runtime"}
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True


def test_storage_is_the_external_postgresql_as_its_own_role(values):
    pg = values["postgresql"]
    assert pg["enabled"] is False and pg["postgresqlHost"]
    assert pg["postgresqlUsername"] == "edu_dagster" and pg["postgresqlDatabase"] == "edu_dagster"
    assert "postgresqlPassword" not in pg and values["generatePostgresqlPasswordSecret"] is False
    assert values["global"]["postgresqlSecretName"]


def test_queue_and_pool_limits_match_the_instance_file(values):
    instance_file = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    instance = instance_file["concurrency"]
    chart = values["concurrency"]
    assert chart["enabled"] is True
    assert chart["runs"]["maxConcurrentRuns"] == instance["runs"]["max_concurrent_runs"]
    assert chart["runs"]["tagConcurrencyLimits"] == instance["runs"]["tag_concurrency_limits"]
    assert chart["pools"]["defaultLimit"] == instance["pools"]["default_limit"]
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    queued = values["dagsterDaemon"]["runCoordinator"].get("config", {}).get("queuedRunCoordinator", {})
    assert "maxConcurrentRuns" not in queued
    assert queued.get("dequeueIntervalSeconds") == instance_file["run_queue"]["dequeue_interval_seconds"]


def test_runtime_env_has_no_admin_password_and_turns_automation_on(deployment):
    env = {e["name"]: e["value"] for e in deployment["env"]}
    url = make_url(env["EDU_WAREHOUSE_URL"])
    assert url.drivername == "postgresql" and url.password is None and url.database == "edu_warehouse"
    assert env["EDU_RUN_AS_ROLES"] == "1"
    assert env["EDU_SCHEDULES_RUNNING"] == "1" and env["EDU_SENSORS_RUNNING"] == "1"


def test_no_secret_values_in_the_chart_files():
    for name in ("values.yaml", "setup-job.yaml"):
        text = (ROOT / "deploy" / "helm" / name).read_text()
        assert not re.search(r"(?i)(password|salt|secret)\w*\s*[:=]\s*['\"]?[A-Za-z0-9]{6,}", text.replace("SecretName: dagster-postgresql-secret", "")), name
        assert not re.search(r"postgresql://[^@/\s]*:[^@/\s]+@", text), name


def test_setup_job_is_the_only_admin(deployment):
    job = yaml.safe_load((ROOT / "deploy" / "helm" / "setup-job.yaml").read_text())
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["edu-platform", "setup"]
    assert {s["secretRef"]["name"] for s in container["envFrom"]} == {"edu-platform-admin", "edu-platform-runtime"}
    assert container["image"].split(":")[0] == deployment["image"]["repository"]
    assert "edu-platform-admin" not in {s["name"] for s in deployment["envSecrets"]}
