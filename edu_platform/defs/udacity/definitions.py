from dagster import Definitions

from edu_platform.defs.udacity.assets import (
    udacity_bronze_checks,
    udacity_dims_bronze,
    udacity_dims_dbt,
    udacity_facts_bronze,
    udacity_facts_dbt,
)
from edu_platform.defs.udacity.schedules import (
    udacity_dims_job,
    udacity_dims_schedule,
    udacity_monthly_job,
    udacity_monthly_schedule,
    udacity_nanodegree_sensor,
)

defs = Definitions(
    assets=[udacity_dims_bronze, udacity_facts_bronze, udacity_dims_dbt, udacity_facts_dbt],
    asset_checks=udacity_bronze_checks,
    jobs=[udacity_dims_job, udacity_monthly_job],
    schedules=[udacity_dims_schedule, udacity_monthly_schedule],
    sensors=[udacity_nanodegree_sensor],
)
