"""The code location: each source's small Definitions merged with the shared resources."""

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from edu_platform.defs.oulad.definitions import defs as oulad_defs
from edu_platform.lib.dbt import dbt_resource

resources = Definitions(resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()})

defs = Definitions.merge(resources, oulad_defs)
