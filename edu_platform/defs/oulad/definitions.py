from dagster import Definitions

from edu_platform.defs.oulad.assets import oulad_bronze_assets, oulad_bronze_checks, oulad_dbt_assets
from edu_platform.defs.oulad.schedules import oulad_monthly_job, oulad_monthly_schedule

defs = Definitions(
    assets=[oulad_bronze_assets, oulad_dbt_assets],
    asset_checks=oulad_bronze_checks,
    jobs=[oulad_monthly_job],
    schedules=[oulad_monthly_schedule],
)
