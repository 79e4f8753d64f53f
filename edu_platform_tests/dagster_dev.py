"""A real `dagster dev` (webserver + daemon) on 127.0.0.1 for the tests that go through the UI's API."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from edu_platform_tests.helpers import SESSION_DIR, free_port, make_database

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DagsterDev:
    url: str
    port: int
    home: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@contextlib.contextmanager
def running_dagster_dev(name: str, env: dict, startup_seconds: float = 240) -> Iterator[DagsterDev]:
    """`dagster dev` with instance storage in a database of its own and `env` on top of this process's
    environment; stopped with its whole process group at the end."""
    home = SESSION_DIR / f"{name}_dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    storage = make_database(f"{name}_dagster")
    port = free_port()
    log = SESSION_DIR / f"{name}_dagster_dev.log"
    server = DagsterDev(f"http://127.0.0.1:{port}", port, home, log)
    full_env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "EDU_DAGSTER_STORAGE_URL": storage.sqlalchemy_url(),
        "EDU_DAGSTER_ARTIFACTS_DIR": str(home / "artifacts"),
        "EDU_DAGSTER_COMPUTE_LOGS_DIR": str(home / "compute_logs"),
        "EDU_DAGSTER_UI_URL": server.url,
        **env,
    }
    dagster = str(Path(sys.executable).with_name("dagster"))
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [dagster, "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=lambda: (signal.signal(signal.SIGINT, signal.SIG_DFL), signal.signal(signal.SIGTERM, signal.SIG_DFL)),
        )
    try:
        deadline = time.time() + startup_seconds
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
