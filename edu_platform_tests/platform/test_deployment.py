"""The compose deployment, validated without a Docker engine: services, ports, env, volumes, secrets."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present(compose):
    assert set(compose["services"]) == {"postgres", "user_code", "webserver", "daemon", "metabase", "metabase_provision"}


def test_ports_and_commands(compose):
    services = compose["services"]
    assert "3000:3000" in services["webserver"]["ports"]
    assert "dagster-webserver" in services["webserver"]["command"]
    assert "dagster-daemon" in services["daemon"]["command"]
    assert "code-server start" in " ".join(services["user_code"]["command"])
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.docker.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    assert grpc["host"] == "user_code" and str(grpc["port"]) in " ".join(services["user_code"]["command"])


def test_schedules_and_sensors_run_in_the_deployment(compose):
    for name in ("user_code", "webserver", "daemon"):
        env = compose["services"][name]["environment"]
        assert env["EDU_SCHEDULES_RUNNING"] == "1" and env["EDU_SENSORS_RUNNING"] == "1"
        assert env["EDU_WAREHOUSE_URL"].startswith("postgresql://")
        assert env["EDU_DAGSTER_STORAGE_URL"].startswith("postgresql+psycopg2://")


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
    assert ".env" in (ROOT / ".gitignore").read_text()
