"""The demo source's bronze load (dlt) and its dbt models."""

import dlt
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource

from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import bronze_dlt_assets
from edu_platform.lib.dlt_runs import run_bronze_load

from .settings import SOURCE
from .tables import TABLES

VISITS = [{"visit_id": 1, "learner_id": 10, "page": "home"}, {"visit_id": 2, "learner_id": 11, "page": "quiz"},
          {"visit_id": 3, "learner_id": 10, "page": "quiz"}]


@dlt.source(name=SOURCE)
def demo_source(declared: bool = False):
    (visits,) = TABLES
    yield dlt.resource(VISITS, name=visits.name, table_name=visits.relation, write_disposition="replace")


@bronze_dlt_assets(TABLES, demo_source(declared=True), name="demo_bronze")
def demo_bronze_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from run_bronze_load(context, dlt, TABLES, demo_source())


demo_bronze_checks = bronze_checks(TABLES)
demo_dbt_assets = build_dbt_assets(name="demo_dbt", source=SOURCE)
