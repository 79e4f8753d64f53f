"""Session fixtures of the reliability tests: a template database holding gold.dim_date, the Dost source
database, and one uninterrupted Dost run every crash test compares against."""

import pytest

from edu_platform.defs.dost import generator as dost_generator
from edu_platform_tests.conftest import make_database
from edu_platform_tests.helpers import materialize_selection, step_errors, table_hashes
from edu_platform_tests.reliability.run_graph import partition_args
from edu_platform_tests.reliability.support import (
    DOST_GROUPS,
    DOST_RANGE,
    DOST_SCALE,
    DOST_START,
    DOST_WEEKS,
    build_dim_date,
    clone_database,
    environment,
    run_env,
)
from dagster import AssetSelection


@pytest.fixture(scope="session")
def dim_date_template():
    db = make_database("rel_dim_date")
    build_dim_date(db)
    return db


@pytest.fixture(scope="session")
def dost_source():
    db = make_database("rel_dost_source")
    dost_generator.generate(db, scale=DOST_SCALE, weeks=DOST_WEEKS, start=DOST_START)
    return db


@pytest.fixture(scope="session")
def dost_reference(dim_date_template, dost_source, tmp_path_factory):
    """The Dost history loaded by one uninterrupted run: its database and the hash of every table."""
    db = clone_database(dim_date_template, "rel_dost_ref")
    variables = run_env(db, tmp_path_factory.mktemp("dost_ref"), DOST_SOURCE_URL=dost_source.libpq_url())
    with environment(**variables):
        result = materialize_selection(AssetSelection.groups(*DOST_GROUPS.split(",")), **partition_args(DOST_RANGE))
    assert result.success, step_errors(result)
    hashes = table_hashes(db)
    assert hashes["gold.mainfact"][0] == dost_source.scalar("select count(*) from campaign") > 10_000
    return {"db": db, "hashes": hashes, "env": variables}
