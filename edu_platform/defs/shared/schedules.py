"""The calendar job: built on its own, before and apart from any source (the CLI's catch-up runs it first)."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status

shared_calendar_job = define_asset_job(
    name="shared_calendar_job",
    selection=AssetSelection.groups("shared_gold"),
    tags={PIPELINE_TAG: "shared"},
    description="Build the conformed calendar gold.dim_date that every source's gold joins on (no upstream).",
)

shared_calendar_schedule = ScheduleDefinition(
    name="shared_calendar_schedule",
    job=shared_calendar_job,
    cron_schedule="0 2 1 * *",
    execution_timezone="UTC",
    default_status=default_schedule_status(),
    description="On the 1st at 02:00 UTC, before the sources' monthly runs: (re)build the shared calendar.",
)
