"""Test session set-up: a real PostgreSQL (EDU_WAREHOUSE_URL or the embedded server), databases of the
session's own, dropped at the end, and every piece of local state (dlt, dbt target, landing) in a tmp dir.

The environment is set at import, before any test imports `edu_platform.definitions`.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

SESSION_ID = uuid.uuid4().hex[:8]
SESSION_DIR = Path(tempfile.mkdtemp(prefix=f"edu_test_{SESSION_ID}_"))
_SERVER_URL = os.environ.get("EDU_WAREHOUSE_URL")

os.environ["EDU_DLT_PIPELINES_DIR"] = str(SESSION_DIR / "dlt")
os.environ["EDU_DBT_TARGET_PATH"] = str(SESSION_DIR / "dbt_target")
os.environ.setdefault("EDU_PII_SALT", "test-salt")
# the session's databases are made here, not by `edu-platform setup`: steps log in as the URL's user unless a
# test creates the roles and turns this on (platform/test_roles_in_use.py)
os.environ["EDU_RUN_AS_ROLES"] = "0"
for variable in ("OULAD_SOURCE", "DOST_SOURCE_URL", "UDACITY_SOURCE", "EDU_ALERT_WEBHOOK_URL", "EDU_ALERT_SMTP_HOST"):
    os.environ.pop(variable, None)

from edu_platform.lib import warehouse as _warehouse  # noqa: E402

_SERVER = _warehouse.Warehouse.from_url(_SERVER_URL).with_database("postgres") if _SERVER_URL else _warehouse.server()
if not _SERVER_URL:  # xdist workers inherit the controller's EDU_WAREHOUSE_URL, and this mark with it
    os.environ["EDU_TEST_ON_EMBEDDED_SERVER"] = "1"
_CREATED: list = []


def make_database(purpose: str) -> "_warehouse.Warehouse":
    """A fresh database on the test server, dropped when the session ends."""
    db = _SERVER.with_database(f"edu_test_{SESSION_ID}_{purpose}")
    db.drop_database()
    db.ensure_database()
    _CREATED.append(db)
    return db


WAREHOUSE = make_database("wh")
os.environ["EDU_WAREHOUSE_URL"] = WAREHOUSE.libpq_url()
os.environ["EDU_STATE_DIR"] = str(SESSION_DIR / "state")
# the manifest is parsed for the session's warehouse (relation names carry the database: dagster-dbt counts rows
# and reads columns by them), as `edu-platform setup` parses it for the configured one
os.environ.update(WAREHOUSE.dbt_env())

from edu_platform.lib.dbt import prepare_manifest  # noqa: E402

prepare_manifest()  # into the session's target path, as `edu-platform setup` does


def pytest_sessionfinish(session, exitstatus):
    for db in _CREATED:
        try:
            db.drop_database()
        except Exception:  # the server may already be gone; nothing to keep
            pass
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse():
    return WAREHOUSE


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return SESSION_DIR


@pytest.fixture
def fresh_warehouse(monkeypatch, tmp_path):
    """A database (and dlt state) of the test's own, for tests that corrupt or compare data."""
    db = make_database(uuid.uuid4().hex[:6])
    monkeypatch.setenv("EDU_WAREHOUSE_URL", db.libpq_url())
    monkeypatch.setenv("EDU_DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("EDU_STATE_DIR", str(tmp_path / "state"))
    yield db
    db.drop_database()
    _CREATED.remove(db)
