"""OULAD assets: the dlt bronze load, the dbt silver/gold models, and the bronze checks."""

from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from edu_platform.defs.oulad.settings import CONTRACTS, FILES, SOURCE, source_url
from edu_platform.defs.oulad.source import oulad_source
from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import EduDltTranslator, bronze_table, declaration_pipeline
from edu_platform.lib.dlt_runs import run_bronze_load

_FILE_OF_TABLE = {bronze_table(SOURCE, table): f"{stem}.csv" for stem, (table, _) in FILES.items()}


@dlt_assets(
    dlt_source=oulad_source(bucket_url="declared"),
    dlt_pipeline=declaration_pipeline(SOURCE),
    name="oulad_bronze",
    dagster_dlt_translator=EduDltTranslator(SOURCE),
    pool="dlt_oulad",
)
def oulad_bronze_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    url = source_url()
    yield from run_bronze_load(
        context,
        dlt,
        SOURCE,
        oulad_source(bucket_url=url),
        describe_table=lambda table: f"{url}/{_FILE_OF_TABLE.get(table, table)}",
    )


oulad_bronze_checks = bronze_checks(SOURCE, CONTRACTS)

oulad_dbt_assets = build_dbt_assets(name="oulad_dbt", source=SOURCE)
