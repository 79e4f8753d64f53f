"""The demo source refreshes daily."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status

demo_daily_job = define_asset_job(
    name="demo_daily_job", selection=AssetSelection.groups("demo_bronze", "demo_silver"), tags={PIPELINE_TAG: "demo"},
    description="Load the demo visits and rebuild their silver model.",
)
demo_daily_schedule = ScheduleDefinition(
    job=demo_daily_job, cron_schedule="0 1 * * *", execution_timezone="UTC", default_status=default_schedule_status(),
    description="Every day at 01:00 UTC: reload the demo visits.",
)
