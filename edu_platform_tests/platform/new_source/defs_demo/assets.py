"""The demo source's bronze load (dlt) and its dbt models."""

import dlt
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import EduDltTranslator, bronze_table, declaration_pipeline
from edu_platform.lib.dlt_runs import run_bronze_load

from .settings import CONTRACTS, SOURCE

VISITS = [{"visit_id": 1, "learner_id": 10, "page": "home"}, {"visit_id": 2, "learner_id": 11, "page": "quiz"},
          {"visit_id": 3, "learner_id": 10, "page": "quiz"}]


@dlt.source(name=SOURCE)
def demo_source():
    yield dlt.resource(VISITS, name="visits", table_name=bronze_table(SOURCE, "visits"), write_disposition="replace")


@dlt_assets(
    dlt_source=demo_source(), dlt_pipeline=declaration_pipeline(SOURCE), name="demo_bronze",
    dagster_dlt_translator=EduDltTranslator(SOURCE),
)
def demo_bronze_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from run_bronze_load(context, dlt, SOURCE, demo_source())


demo_bronze_checks = bronze_checks(SOURCE, CONTRACTS)
demo_dbt_assets = build_dbt_assets(name="demo_dbt", source=SOURCE)
