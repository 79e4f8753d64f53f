"""Session fixtures of the reliability tests: a small OULAD folder and a Dost source database, and one
uninterrupted run of each source that the crash and restart tests compare against."""

import pytest

from dagster import AssetSelection

from edu_platform.synthetic import dost as dost_generator
from edu_platform.synthetic.oulad import generate as generate_oulad
from edu_platform_tests.helpers import (
    clone_database,
    environment,
    make_database,
    materialize_selection,
    run_environment,
    step_errors,
    table_hashes,
)
from edu_platform_tests.reliability.child_runs import (
    DOST_GROUPS,
    DOST_RANGE,
    DOST_SCALE,
    DOST_START,
    DOST_WEEKS,
    OULAD_GROUPS,
    oulad_env,
    run_graph,
)


@pytest.fixture(scope="session")
def dost_source():
    db = make_database("rel_dost_source")
    dost_generator.generate(db, scale=DOST_SCALE, weeks=DOST_WEEKS, start=DOST_START)
    return db


@pytest.fixture(scope="session")
def dost_reference(dim_date_template, dost_source, tmp_path_factory):
    """The Dost history loaded by one uninterrupted run: its database and the hash of every table."""
    db = clone_database(dim_date_template, "rel_dost_ref")
    variables = run_environment(db, tmp_path_factory.mktemp("dost_ref"), DOST_SOURCE_URL=dost_source.libpq_url())
    with environment(**variables):
        result = materialize_selection(AssetSelection.groups(*DOST_GROUPS.split(",")), partition=DOST_RANGE)
    assert result.success, step_errors(result)
    hashes = table_hashes(db)
    assert hashes["gold.fct_dost_calls"][0] == dost_source.scalar("select count(*) from campaign") > 10_000
    return {"db": db, "hashes": hashes, "env": variables}


@pytest.fixture(scope="session")
def oulad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oulad_crash")
    generate_oulad(folder, scale=0.015)
    return folder


@pytest.fixture(scope="session")
def oulad_reference(oulad_folder, tmp_path_factory):
    """The hash of every table after one uninterrupted OULAD run (a child process, as the crash tests run),
    and after a second run of the whole graph over the same files (`rerun`)."""
    db = make_database("crash_ref")
    env = oulad_env(db, oulad_folder, tmp_path_factory.mktemp("ref"), "ref")
    done = run_graph(OULAD_GROUPS, env)
    assert done.returncode == 0, done.stderr[-3000:]
    hashes = table_hashes(db)
    assert hashes["gold.fct_vle_interactions"][0] > 0
    again = run_graph(OULAD_GROUPS, env)
    assert again.returncode == 0, again.stderr[-3000:]
    return {"hashes": hashes, "rerun": table_hashes(db)}
