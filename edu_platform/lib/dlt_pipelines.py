"""dlt, one way for every source: the pipeline factory and the Dagster translator."""

import dlt
from dagster import AssetKey, AssetSpec
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from edu_platform.lib.settings import dlt_pipelines_dir
from edu_platform.lib.warehouse import get_warehouse

BRONZE_SCHEMA = "bronze"


def bronze_table(source: str, table: str) -> str:
    """Bronze tables share one schema, so each carries its source as a prefix: `bronze.oulad_courses`."""
    return f"{source}_{table}"


def bronze_pipeline(source: str, suffix: str = "") -> dlt.Pipeline:
    """A pipeline into the warehouse's bronze schema. `suffix` separates runs that must not share state."""
    return dlt.pipeline(
        pipeline_name=f"edu_{source}{suffix}",
        destination=dlt.destinations.postgres(credentials=get_warehouse().dlt_credentials()),
        dataset_name=BRONZE_SCHEMA,
        pipelines_dir=str(dlt_pipelines_dir()),
    )


def declaration_pipeline(source: str) -> dlt.Pipeline:
    """The pipeline handed to @dlt_assets at import time; it only names things, it never connects."""
    return dlt.pipeline(
        pipeline_name=f"edu_{source}",
        destination="postgres",
        dataset_name=BRONZE_SCHEMA,
        pipelines_dir=str(dlt_pipelines_dir()),
    )


class EduDltTranslator(DagsterDltTranslator):
    """Keys `bronze/<source>/<table>`, no invented upstream assets, grouped `<source>_bronze`."""

    def __init__(self, source: str):
        self.source = source

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        default = super().get_asset_spec(data)
        return default.replace_attributes(
            key=AssetKey([BRONZE_SCHEMA, self.source, data.resource.name]),
            deps=[],
            group_name=f"{self.source}_bronze",
            kinds={"dlt", "postgres"},
        )
