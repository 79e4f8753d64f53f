"""Monthly refresh and nanodegree discovery.

- `udacity_dims_job` / `udacity_dims_schedule`: the dimension files, on the 1st at 04:00 UTC.
- `udacity_monthly_job` / `udacity_monthly_schedule`: on the 1st at 05:00 UTC, one run per registered
  nanodegree for the month just ended (Dagster's partitioned schedule over the month x nanodegree
  partitions asks the instance for the nanodegrees).
- `udacity_nanodegree_sensor`: registers nanodegree folders as they land (no code change to add one);
  a folder name that is not a lower-case identifier is refused and logged, never registered.

The fact assets have a single-run backfill policy: a backfill over months x nanodegrees is one run per range
(Dagster's daemon cuts the selection into ranges; `edu_platform.lib.partitions.range_run_tags` does the same
for a catch-up), one dlt load and one dbt build for all of its partitions.
"""

from dagster import AssetSelection, ScheduleDefinition, SensorResult, SkipReason, build_schedule_from_partitioned_job, define_asset_job, sensor

from edu_platform.defs.udacity.assets import (
    UDACITY_PARTITIONS,
    udacity_dims_bronze,
    udacity_dims_dbt,
    udacity_facts_bronze,
    udacity_facts_dbt,
)
from edu_platform.defs.udacity.landing import new_nanodegrees
from edu_platform.defs.udacity.settings import DIMENSION, SOURCE
from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status, default_sensor_status

TAGS = {PIPELINE_TAG: SOURCE}

udacity_monthly_job = define_asset_job(
    name="udacity_monthly_job",
    selection=AssetSelection.assets(udacity_facts_bronze, udacity_facts_dbt),
    partitions_def=UDACITY_PARTITIONS,
    tags=TAGS,
    description="Load months x nanodegrees of course files into bronze (one partition, or a backfill range in one run) and rebuild their silver, gold and marts.",
)

udacity_dims_job = define_asset_job(
    name="udacity_dims_job",
    selection=AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt),
    tags=TAGS,
    description="Merge the dimension files (users, projects, videos) and rebuild the course dimensions.",
)

udacity_monthly_schedule = build_schedule_from_partitioned_job(
    udacity_monthly_job,
    name="udacity_monthly_schedule",
    description=(
        "On the 1st at 05:00 UTC: one run per registered nanodegree for the month just ended (partition"
        " `YYYY-MM-01|nanodegree`), loading that folder's four files and rebuilding its facts and marts.\n\nPartition"
        f" set: months from {UDACITY_PARTITIONS.time_window_partitions_def.start.date()} x registered nanodegrees (the"
        " `nanodegree` dynamic partitions the sensor adds); the tick requests the month just ended for each nanodegree."
    ),
    hour_of_day=5,
    default_status=default_schedule_status(),
)

udacity_dims_schedule = ScheduleDefinition(
    name="udacity_dims_schedule",
    description=(
        "On the 1st at 04:00 UTC (before the monthly facts): merge the users, projects and videos files on their keys"
        " and rebuild the course dimensions."
    ),
    job=udacity_dims_job,
    cron_schedule="0 4 1 * *",
    execution_timezone="UTC",
    default_status=default_schedule_status(),
)


@sensor(
    name="udacity_nanodegree_sensor",
    minimum_interval_seconds=300,
    default_status=default_sensor_status(),
    description=(
        "Every 5 minutes: registers each new nanodegree folder under the landing root (UDACITY_SOURCE) as a"
        " `nanodegree` partition, so its months can be scheduled and backfilled; a folder name that is not a"
        " lower-case identifier is refused and logged."
    ),
)
def udacity_nanodegree_sensor(context):
    new, refused = new_nanodegrees(context.instance)
    for name in refused:
        context.log.warning(f"refused nanodegree folder {name!r}: expected a lower-case identifier")
    if not new:
        return SkipReason("no new nanodegree folder" + (f" (refused: {refused})" if refused else ""))
    nanodegrees = UDACITY_PARTITIONS.get_partitions_def_for_dimension(DIMENSION)
    return SensorResult(dynamic_partitions_requests=[nanodegrees.build_add_request(new)])
