"""Test session set-up and the shared fixtures (helpers live in `helpers.py`).

The session works in databases of its own on a real PostgreSQL (EDU_WAREHOUSE_URL or the embedded server),
dropped at the end, with every piece of local state (dlt, dbt target, landing) in a tmp dir. The fast tier
(`-m fast`, `make test-fast`) starts no server: its warehouse URL points where nothing listens.
"""

import uuid
from pathlib import Path

import pytest

from edu_platform_tests import helpers

_WAREHOUSE = pytest.StashKey[object]()


def pytest_configure(config):
    """Set the environment before any test module imports the platform (collection comes after this hook)."""
    fast_only = (config.option.markexpr or "").strip() == "fast"
    config.stash[_WAREHOUSE] = helpers.start_session(with_server=not fast_only)
    if getattr(config, "workerinput", None) is None and config.getoption("numprocesses", None):
        return  # pytest-xdist's controller runs no test: its workers prepare the manifest each for their own warehouse
    if not helpers.manifest_reused():
        from edu_platform.lib.dbt import prepare_manifest

        prepare_manifest()  # into the session's target path, as `edu-platform setup` does


def pytest_sessionfinish(session, exitstatus):
    helpers.end_session()


@pytest.fixture(scope="session")
def warehouse(pytestconfig):
    """The session's warehouse database (EDU_WAREHOUSE_URL of every test that sets no other)."""
    if pytestconfig.stash[_WAREHOUSE] is None:
        raise RuntimeError("no PostgreSQL in the fast tier: a test using the warehouse is not fast")
    return pytestconfig.stash[_WAREHOUSE]


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return helpers.SESSION_DIR


@pytest.fixture(scope="session")
def dim_date_template():
    """A database holding only gold.dim_date, the conformed calendar the Dost and course marts join: cloned
    (`helpers.clone_database`) by tests that build one source into a warehouse of their own."""
    db = helpers.make_database("dim_date_template")
    helpers.build_dim_date(db)
    return db


@pytest.fixture(scope="session")
def dost_template():
    """A clean two-week Dost source database (weeks 2019-12-02 and 2019-12-09), cloned for every case that
    spoils one."""
    from edu_platform.synthetic import dost as generator

    db = helpers.make_database("dost_template")
    generator.generate(db, scale=0.3, weeks=2, start="2019-12-02")
    return db


@pytest.fixture(scope="module")
def module_monkeypatch():
    """pytest's monkeypatch for a whole module: what a module-scoped fixture sets (environment variables)
    holds for every test of the module and is undone after its last one."""
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture
def fresh_warehouse(monkeypatch, tmp_path):
    """A database (and dlt state) of the test's own, for tests that corrupt or compare data."""
    db = helpers.make_database(uuid.uuid4().hex[:6])
    monkeypatch.setenv("EDU_WAREHOUSE_URL", db.libpq_url())
    monkeypatch.setenv("EDU_DLT_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("EDU_STATE_DIR", str(tmp_path / "state"))
    yield db
    helpers.drop_database(db)
