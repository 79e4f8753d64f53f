from dagster import Definitions

from edu_platform.defs.dost.assets import dost_bronze_assets, dost_bronze_checks, dost_dbt_assets
from edu_platform.defs.dost.schedules import dost_weekly_job, dost_weekly_schedule

defs = Definitions(
    assets=[dost_bronze_assets, dost_dbt_assets],
    asset_checks=dost_bronze_checks,
    jobs=[dost_weekly_job],
    schedules=[dost_weekly_schedule],
)
