"""Dost refreshes weekly: early on Monday, the job loads the week that just ended (late corrections included)."""

from dagster import AssetSelection, build_schedule_from_partitioned_job, define_asset_job

from edu_platform.defs.dost.assets import dost_weekly_partitions
from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status

dost_weekly_job = define_asset_job(
    name="dost_weekly_job",
    selection=AssetSelection.groups("dost_bronze", "dost_silver", "dost_gold"),
    partitions_def=dost_weekly_partitions,
    tags={PIPELINE_TAG: "dost"},
    description="Load one week of Dost calls (plus late corrections) into bronze and rebuild that week in silver and gold.",
)

dost_weekly_schedule = build_schedule_from_partitioned_job(
    dost_weekly_job,
    name="dost_weekly_schedule",
    description=(
        "Every Monday at 03:00 UTC: one run for the week that just ended (partition = its Monday), loading that"
        " week's Dost rows plus the corrections committed late (DOST_UPDATED_AT_LAG_HOURS), then that week of silver"
        " and gold. Missed weeks: backfill them from the asset page.\n\nPartition set: weeks (Monday to Monday, UTC)"
        f" from {dost_weekly_partitions.start.date()}, one partition per week; the tick requests the week just ended."
    ),
    hour_of_day=3,
    minute_of_hour=0,
    day_of_week=1,
    default_status=default_schedule_status(),
)
