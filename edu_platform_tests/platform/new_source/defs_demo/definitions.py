from dagster import Definitions

from .assets import demo_bronze_assets, demo_bronze_checks, demo_dbt_assets
from .schedules import demo_daily_job, demo_daily_schedule

defs = Definitions(
    assets=[demo_bronze_assets, demo_dbt_assets], asset_checks=demo_bronze_checks, jobs=[demo_daily_job],
    schedules=[demo_daily_schedule],
)
