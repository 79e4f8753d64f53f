"""edu_platform: learning-analytics assets (dlt -> bronze, dbt -> silver/gold) orchestrated by Dagster."""

from edu_platform.lib.environment import export_dlt_defaults

export_dlt_defaults()  # before any dlt source or pipeline is built in this process: dlt reads them once, at the first
