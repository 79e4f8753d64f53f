"""OULAD assets: the dlt bronze load, the dbt silver/gold models, and the bronze checks."""

from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource

from edu_platform.defs.oulad.settings import SOURCE, source_url
from edu_platform.defs.oulad.source import oulad_source
from edu_platform.defs.oulad.tables import TABLES
from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import bronze_dlt_assets
from edu_platform.lib.dlt_runs import run_bronze_load

_FILE_OF_TABLE = {t.relation: f"{t.origin}.csv" for t in TABLES}


@bronze_dlt_assets(TABLES, oulad_source(declared=True), name="oulad_bronze")
def oulad_bronze_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    url = source_url()
    yield from run_bronze_load(
        context,
        dlt,
        TABLES,
        oulad_source(bucket_url=url),
        describe_table=lambda table: f"{url}/{_FILE_OF_TABLE.get(table, table)}",
    )


oulad_bronze_checks = bronze_checks(TABLES)

oulad_dbt_assets = build_dbt_assets(name="oulad_dbt", source=SOURCE)
