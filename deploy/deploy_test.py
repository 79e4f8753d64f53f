"""`make deploy-test`: the compose deployment brought up for real with podman, exercised, and torn down.

Steps (each printed): build the images (offline: local stand-ins for the official base images), start
PostgreSQL, run the one-shot `setup` and the demo sources, start the user code, webserver and daemon and wait
for each health check, launch an OULAD refresh and two Dost weeks through the webserver's GraphQL API, count
gold rows as `bi_reader` from the host, restart the daemon and show schedules running and sensors ticking
again, then `down -v`: no container, network or volume of the project is left. Secrets are random per run.
"""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = os.environ.get("EDU_DEPLOY_TEST_PROJECT", "edudeploytest")
WEB_PORT = int(os.environ.get("EDU_DEPLOY_TEST_WEB_PORT", "13300"))
PG_PORT = int(os.environ.get("EDU_DEPLOY_TEST_PG_PORT", "15433"))
# the demo source's first week signs users up (no calls yet); its second week has the first calls, which refer to
# the first week's users: a week loads on top of the weeks before it, as the weekly schedule runs them
DOST_WEEKS = ("2026-01-05", "2026-01-12")
BEGAN = time.monotonic()


def step(text: str) -> None:
    print(f"[deploy-test {time.monotonic() - BEGAN:6.0f}s] {text}", flush=True)


def sh(*args: str, check: bool = True, capture: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, text=True, capture_output=capture, env=env, cwd=ROOT)


def compose_cmd() -> list[str]:
    beside = Path(sys.executable).with_name("podman-compose")
    return [str(beside) if beside.exists() else "podman-compose", "-p", PROJECT, "-f", str(ROOT / "docker-compose.yml")]


def compose(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    return sh(*compose_cmd(), *args, check=check, capture=capture, env=ENV)


def container(service: str) -> str:
    return f"{PROJECT}_{service}_1"


def wait_healthy(service: str, timeout: float = 300) -> None:
    """podman 4.3 without systemd runs no health-check timers: run the service's own check until it passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sh("podman", "healthcheck", "run", container(service), check=False, capture=True).returncode == 0:
            step(f"{service}: healthy")
            return
        state = sh("podman", "inspect", "-f", "{{.State.Status}}", container(service), check=False, capture=True).stdout.strip()
        if state in ("exited", "stopped"):
            logs = sh("podman", "logs", "--tail", "30", container(service), check=False, capture=True)
            print(logs.stdout, logs.stderr, sep="\n", file=sys.stderr)
            raise SystemExit(f"deploy-test: {service} exited before it was healthy (its log above)")
        time.sleep(3)
    raise SystemExit(f"deploy-test: {service} not healthy after {timeout:.0f}s")


def build_images() -> None:
    step("host: podman, runc, containers.conf, Debian base image (deploy/podman/prepare-host.sh)")
    sh("sh", str(ROOT / "deploy" / "podman" / "prepare-host.sh"))
    ca = ["-v", "/etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro", "--build-arg", "PIP_CERT=/run/host-ca.crt"]
    builds = [
        ("python base (stand-in for python:3.11-slim)", ENV["EDU_PYTHON_IMAGE"], "deploy/images/python.Dockerfile", "deploy/images", []),
        ("postgres (stand-in for postgres:16)", ENV["EDU_POSTGRES_IMAGE"], "deploy/images/postgres.Dockerfile", ".", []),
        ("edu_platform", ENV["EDU_PLATFORM_IMAGE"], "deploy/Dockerfile", ".", ["--build-arg", f"PYTHON_IMAGE={ENV['EDU_PYTHON_IMAGE']}", *ca]),
    ]
    for label, tag, dockerfile, context, extra in builds:
        began = time.monotonic()
        sh("podman", "build", "-q", "-t", tag, "-f", dockerfile, *extra, context)
        step(f"image {tag}: {label} ({time.monotonic() - began:.0f}s)")


def graphql(client, query: str, variables: dict | None = None) -> dict:
    return client._execute(query, variables or {})


def launch_and_wait(client, job: str, tags: dict, timeout: float = 900) -> None:
    from dagster import DagsterRunStatus

    began = time.monotonic()
    run_id = client.submit_job_execution(job, repository_location_name="edu_platform", tags=tags)
    step(f"GraphQL launchRun {job} {tags or ''}: run {run_id}")
    while time.monotonic() - began < timeout:
        status = client.get_run_status(run_id)
        if status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
            break
        time.sleep(3)
    step(f"run {run_id} ({job}): {status.value} in {time.monotonic() - began:.0f}s")
    if status != DagsterRunStatus.SUCCESS:
        logs = sh("podman", "logs", "--tail", "40", container("user_code"), check=False, capture=True)
        print(logs.stdout[-4000:], logs.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"deploy-test: run {run_id} of {job} ended {status.value} (user code's log above)")


def gold_counts_as_bi_reader() -> dict[str, int]:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=PG_PORT, dbname="edu_warehouse", user="bi_reader", password=ENV["EDU_BI_READER_PASSWORD"])
    try:
        with conn.cursor() as cur:
            cur.execute("select table_name from information_schema.tables where table_schema = 'gold' order by 1")
            counts = {}
            for (table,) in cur.fetchall():
                cur.execute(f'select count(*) from gold."{table}"')
                counts[table] = cur.fetchone()[0]
            try:
                cur.execute("select count(*) from bronze.oulad_courses")
                raise SystemExit("deploy-test: bi_reader could read bronze")
            except psycopg2.errors.InsufficientPrivilege:
                conn.rollback()
            return counts
    finally:
        conn.close()


REPO = '{repositoryName: "__repository__", repositoryLocationName: "edu_platform"}'
INSTIGATORS = (
    "query { schedulesOrError(repositorySelector: %s) { ... on Schedules { results { name scheduleState { status } } } }"
    " sensorsOrError(repositorySelector: %s) { ... on Sensors { results { name sensorState { status"
    " ticks(limit: 1) { timestamp status } } } } } }" % (REPO, REPO)
)
DAEMONS = "query { instance { daemonHealth { allDaemonStatuses { daemonType healthy lastHeartbeatTime } } } }"


def show_daemon_after_restart(client) -> None:
    restarted = time.time()
    sh("podman", "restart", container("daemon"), capture=True)
    step("daemon container restarted")
    wait_healthy("daemon")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        data = graphql(client, INSTIGATORS)
        schedules = {s["name"]: s["scheduleState"]["status"] for s in data["schedulesOrError"]["results"]}
        ticked = [s["name"] for s in data["sensorsOrError"]["results"]
                  if s["sensorState"]["ticks"] and s["sensorState"]["ticks"][0]["timestamp"] > restarted]
        daemons = {d["daemonType"]: d["healthy"] for d in graphql(client, DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]}
        if ticked and daemons.get("SCHEDULER") and all(v == "RUNNING" for v in schedules.values()):
            step(f"after the restart: schedules {schedules}")
            step(f"after the restart: daemons healthy {sorted(k for k, v in daemons.items() if v)}; sensors ticked since: {sorted(ticked)}")
            return
        time.sleep(5)
    raise SystemExit(f"deploy-test: after the daemon restart: schedules {schedules}, daemons {daemons}, sensors ticked {ticked}")


def leftovers() -> list[str]:
    label = f"io.podman.compose.project={PROJECT}"
    found = []
    for kind in ("ps -a", "network ls", "volume ls"):
        out = sh("podman", *kind.split(), "--filter", f"label={label}", "--format", "{{.Names}}" if kind.startswith("ps") else "{{.Name}}",
                 capture=True, check=False).stdout.split()
        found += [f"{kind.split()[0]} {name}" for name in out]
    return found


def teardown() -> None:
    step("tear-down: podman-compose down -v")
    compose("--profile", "demo", "--profile", "metabase", "down", "-v", "-t", "10", check=False, capture=True)
    left = leftovers()
    for item in left:  # a half-created project from an interrupted run
        kind, name = item.split(" ", 1)
        sh("podman", {"ps": "rm", "network": "network", "volume": "volume"}[kind], *(["rm"] if kind != "ps" else []), "-f", name, check=False, capture=True)
    left = leftovers()
    if left:
        raise SystemExit(f"deploy-test: left behind: {left}")
    step("nothing left behind (no container, network or volume of the project)")


ENV = {
    **os.environ,
    "EDU_PYTHON_IMAGE": os.environ.get("EDU_PYTHON_IMAGE", "localhost/edu-python:3.11-slim"),
    "EDU_POSTGRES_IMAGE": os.environ.get("EDU_POSTGRES_IMAGE", "localhost/edu-postgres:15"),
    "EDU_PLATFORM_IMAGE": os.environ.get("EDU_PLATFORM_IMAGE", "localhost/edu_platform:deploy-test"),
    "EDU_WEBSERVER_PORT": str(WEB_PORT),
    "EDU_POSTGRES_PORT": str(PG_PORT),
    "EDU_DAGSTER_UI_URL": f"http://127.0.0.1:{WEB_PORT}",
    "DOST_FIRST_WEEK": "2026-01-05",
    "EDU_DEMO_DOST_START": "2026-01-05",
    **{name: secrets.token_urlsafe(18) for name in (
        "POSTGRES_PASSWORD", "EDU_DAGSTER_DB_PASSWORD", "EDU_LOADER_PASSWORD", "EDU_TRANSFORMER_PASSWORD",
        "EDU_BI_READER_PASSWORD", "EDU_PII_SALT", "EDU_DOST_SOURCE_PASSWORD")},
}
ENV["DOST_SOURCE_URL"] = f"postgresql://edu_dost_reader:{ENV['EDU_DOST_SOURCE_PASSWORD']}@postgres:5432/edu_dost_source"


def main() -> int:
    from dagster_graphql import DagsterGraphQLClient

    build_images()
    teardown()  # whatever an interrupted earlier run left
    try:
        step("up: postgres")
        compose("up", "-d", "--no-build", "postgres", capture=True)
        wait_healthy("postgres")
        step("run: setup (edu-platform setup, the only service holding the admin password)")
        compose("run", "-T", "--rm", "--no-deps", "setup")
        step("run: demo_data (synthetic OULAD files, a Dost source database with a read-only login)")
        compose("--profile", "demo", "run", "-T", "--rm", "--no-deps", "demo_data")
        step("up: user_code")
        compose("up", "-d", "--no-build", "--no-deps", "user_code", capture=True)
        wait_healthy("user_code")
        step("up: webserver, daemon")
        compose("up", "-d", "--no-build", "--no-deps", "webserver", "daemon", capture=True)
        wait_healthy("webserver")
        wait_healthy("daemon")
        client = DagsterGraphQLClient("127.0.0.1", port_number=WEB_PORT)
        launch_and_wait(client, "shared_calendar_job", {})  # gold.dim_date, which every source's facts refer to
        launch_and_wait(client, "oulad_monthly_job", {})
        for week in DOST_WEEKS:
            launch_and_wait(client, "dost_weekly_job", {"dagster/partition": week})
        counts = gold_counts_as_bi_reader()
        step(f"gold as bi_reader from the host: {len(counts)} tables, {sum(counts.values()):,} rows; bronze refused")
        for table, n in counts.items():
            print(f"    gold.{table:<36} {n:>10,}")
        empty = [t for t in ("fct_vle_interactions", "fct_dost_calls") if counts.get(t) == 0 or t not in counts]
        if empty:
            raise SystemExit(f"deploy-test: gold tables empty or missing after the runs: {empty}")
        show_daemon_after_restart(client)
    finally:
        teardown()
    step("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
