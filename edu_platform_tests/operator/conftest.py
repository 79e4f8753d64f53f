"""A real `dagster dev` (webserver + daemon) on 127.0.0.1 for the operator's-path tests."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from edu_platform_tests.conftest import SESSION_DIR, make_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterDev:
    def __init__(self, url: str, home: Path, log: Path):
        self.url, self.home, self.log = url, home, log

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@pytest.fixture(scope="session")
def operator_sources(tmp_path_factory):
    """Small real data for all three sources, configured through the environment `dagster dev` inherits."""
    from edu_platform.defs.dost.generator import generate as generate_dost
    from edu_platform.defs.oulad.generator import generate as generate_oulad
    from edu_platform.defs.udacity.generator import write_dimensions, write_month

    root = tmp_path_factory.mktemp("operator_sources")
    generate_oulad(root / "oulad", scale=0.003)
    dost = make_database("operator_dost")
    generate_dost(dost, scale=0.05, weeks=4)
    nanodegrees = ("data_science", "data_engineering")
    write_dimensions(root / "udacity", nanodegrees, 0.002)
    for nanodegree in nanodegrees:
        for month in ("2026-08", "2026-09"):
            write_month(root / "udacity", nanodegree, month, 0.002)
    mp = pytest.MonkeyPatch()
    mp.setenv("OULAD_SOURCE", str(root / "oulad"))
    mp.setenv("DOST_SOURCE_URL", dost.libpq_url())
    mp.setenv("UDACITY_SOURCE", str(root / "udacity"))
    yield {"nanodegrees": nanodegrees, "months": ("2026-08-01", "2026-09-01"), "weeks": ("2019-01-07", "2019-01-14", "2019-01-21")}
    mp.undo()


@pytest.fixture(scope="session")
def dagster_dev(warehouse, operator_sources):
    """`dagster dev` with its own instance storage database, stopped (process group) at the end."""
    home = SESSION_DIR / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    storage = make_database("dagster")
    port = _free_port()
    log = SESSION_DIR / "dagster_dev.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "EDU_DAGSTER_STORAGE_URL": storage.sqlalchemy_url(),
        "EDU_DAGSTER_ARTIFACTS_DIR": str(home / "artifacts"),
        "EDU_DAGSTER_COMPUTE_LOGS_DIR": str(home / "compute_logs"),
        "EDU_DAGSTER_UI_URL": f"http://127.0.0.1:{port}",
    }
    env.update(_warehouse_env(warehouse))
    dagster = str(Path(sys.executable).with_name("dagster"))
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [dagster, "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=lambda: (signal.signal(signal.SIGINT, signal.SIG_DFL), signal.signal(signal.SIGTERM, signal.SIG_DFL)),
        )
    server = DagsterDev(f"http://127.0.0.1:{port}", home, log)
    try:
        deadline = time.time() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dagster dev exited: {log.read_text()[-3000:]}")
            try:
                if server.graphql("{ version }")["version"]:
                    break
            except Exception:
                if time.time() > deadline:
                    raise RuntimeError(f"dagster dev did not come up: {log.read_text()[-3000:]}")
                time.sleep(1)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except Exception:
            os.killpg(process.pid, signal.SIGKILL)


def _warehouse_env(wh) -> dict:
    return {"EDU_WAREHOUSE_URL": wh.libpq_url(), **wh.dbt_env()}
