"""The dlt resource every bronze asset runs with: dagster-dlt's, with the materialization's table name
naming the real relation (`<database>.bronze.<table>`), not dlt's destination type and dataset."""

from typing import Any, Mapping

from dagster_dlt import DagsterDltResource

from edu_platform.lib.warehouse import warehouse_as


class WarehouseDltResource(DagsterDltResource):
    def extract_resource_metadata(self, context, resource, load_info, dlt_pipeline) -> Mapping[str, Any]:
        metadata = dict(super().extract_resource_metadata(context, resource, load_info, dlt_pipeline))
        table = dlt_pipeline.default_schema.naming.normalize_table_identifier(str(resource.table_name))
        relation = f"{warehouse_as('loader').database}.{dlt_pipeline.dataset_name}.{table}"
        metadata["dagster/table_name"] = relation
        return metadata
