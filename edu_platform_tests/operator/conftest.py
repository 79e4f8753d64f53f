"""A real `dagster dev` (webserver + daemon) on 127.0.0.1 for the operator's-path tests."""

import pytest

from edu_platform_tests.helpers import make_database
from edu_platform_tests.dagster_dev import running_dagster_dev


@pytest.fixture(scope="session")
def operator_sources(tmp_path_factory):
    """Small real data for all three sources, and the environment that points `dagster dev` at them."""
    from edu_platform.synthetic.dost import generate as generate_dost
    from edu_platform.synthetic.oulad import generate as generate_oulad
    from edu_platform.synthetic.udacity import write_dimensions, write_month

    root = tmp_path_factory.mktemp("operator_sources")
    generate_oulad(root / "oulad", scale=0.003)
    dost = make_database("operator_dost")
    generate_dost(dost, scale=0.05, weeks=4)
    nanodegrees = ("data_science", "data_engineering")
    write_dimensions(root / "udacity", nanodegrees, 0.002)
    for nanodegree in nanodegrees:
        for month in ("2026-08", "2026-09"):
            write_month(root / "udacity", nanodegree, month, 0.002)
    return {
        "nanodegrees": nanodegrees, "months": ("2026-08-01", "2026-09-01"), "weeks": ("2019-01-07", "2019-01-14", "2019-01-21"),
        "env": {"OULAD_SOURCE": str(root / "oulad"), "DOST_SOURCE_URL": dost.libpq_url(), "UDACITY_SOURCE": str(root / "udacity")},
    }


@pytest.fixture(scope="session")
def dagster_dev(warehouse, operator_sources):
    """`dagster dev` over the session's warehouse and the three small sources."""
    with running_dagster_dev("operator", {**_warehouse_env(warehouse), **operator_sources["env"]}) as server:
        yield server


def _warehouse_env(wh) -> dict:
    return {"EDU_WAREHOUSE_URL": wh.libpq_url(), **wh.dbt_env()}
