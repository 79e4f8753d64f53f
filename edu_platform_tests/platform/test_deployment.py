"""The compose file, checked without an engine (`make deploy-test` runs it for real with podman): services,
health checks, bindings, who holds which secret, overridable base images, and no secret values."""

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
DAGSTER_SERVICES = ("user_code", "webserver", "daemon")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present(compose):
    assert set(compose["services"]) == {"postgres", "setup", "user_code", "webserver", "daemon", "demo_data", "metabase", "metabase_provision"}
    assert compose["services"]["metabase"]["profiles"] == ["metabase"]
    assert compose["services"]["metabase_provision"]["profiles"] == ["metabase"]
    assert compose["services"]["demo_data"]["profiles"] == ["demo"]


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if name in ("setup", "demo_data", "metabase_provision"):
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name


def test_ports_bound_to_localhost_unless_the_operator_says_otherwise(compose):
    for name in ("postgres", "webserver", "metabase"):
        for port in compose["services"][name]["ports"]:
            assert port.startswith("${EDU_BIND_ADDRESS:-127.0.0.1}:"), (name, port)


def test_commands_and_workspace(compose):
    services = compose["services"]
    assert "dagster-webserver" in services["webserver"]["command"]
    assert "dagster-daemon" in services["daemon"]["command"]
    assert services["setup"]["command"] == ["edu-platform", "setup"]
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.docker.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    assert grpc["host"] == "user_code" and str(grpc["port"]) in services["user_code"]["command"]
    assert services["user_code"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"


def test_only_setup_holds_the_admin_password(compose):
    services = compose["services"]
    admin = make_url(services["setup"]["environment"]["EDU_WAREHOUSE_URL"])
    assert admin.password and "POSTGRES_PASSWORD" in admin.password
    runtime = make_url(services["user_code"]["environment"]["EDU_WAREHOUSE_URL"])
    assert runtime.password is None and runtime.database == "edu_warehouse"
    for name in DAGSTER_SERVICES:
        env = services[name]["environment"]
        assert "POSTGRES_PASSWORD" not in str(env), name
        assert env["EDU_DAGSTER_STORAGE_URL"].startswith("postgresql+psycopg2://edu_dagster:")
        assert env["EDU_SCHEDULES_RUNNING"] == "1" and env["EDU_SENSORS_RUNNING"] == "1"
    # the webserver and daemon never touch the warehouse: no role passwords either
    for name in ("webserver", "daemon"):
        assert not any("LOADER" in k or "TRANSFORMER" in k for k in services[name]["environment"]), name


def test_base_images_are_overridable_with_official_defaults(compose):
    services = compose["services"]
    assert services["postgres"]["image"] == "${EDU_POSTGRES_IMAGE:-postgres:16}"
    assert services["user_code"]["build"]["args"]["PYTHON_IMAGE"] == "${EDU_PYTHON_IMAGE:-python:3.11-slim}"
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile and "FROM ${PYTHON_IMAGE}" in dockerfile


def test_volumes_declared(compose):
    declared = set(compose["volumes"])
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            name = volume.split(":")[0]
            assert name.startswith("./") or name in declared, volume


def test_no_secret_values_in_compose():
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"^\s*\w*(PASSWORD|SALT)\w*:\s*(\S+)", text, re.MULTILINE):
        value = match.group(2)
        assert value.startswith("${") or value.startswith("postgresql"), match.group(0)
    for url in re.findall(r"postgresql(?:\+psycopg2)?://[^\s\"]+", text):
        password = url.split("://", 1)[1].split("@")[0].partition(":")[2]
        assert password == "" or password.startswith("${"), url
    assert ".env" in (ROOT / ".gitignore").read_text()
