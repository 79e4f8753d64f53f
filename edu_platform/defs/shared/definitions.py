from dagster import Definitions

from edu_platform.defs.shared.assets import shared_dbt_assets
from edu_platform.defs.shared.schedules import shared_calendar_job, shared_calendar_schedule

defs = Definitions(assets=[shared_dbt_assets], jobs=[shared_calendar_job], schedules=[shared_calendar_schedule])
