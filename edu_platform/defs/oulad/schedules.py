"""OULAD refreshes monthly. The dataset is a published snapshot, not a time series, so the job is not
partitioned: a monthly tick reloads the snapshot (replace) and rebuilds silver and gold."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status

oulad_monthly_job = define_asset_job(
    name="oulad_monthly_job",
    selection=AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold"),
    tags={PIPELINE_TAG: "oulad"},
    description="Reload the OULAD files into bronze and rebuild its silver and gold.",
)

oulad_monthly_schedule = ScheduleDefinition(
    name="oulad_monthly_schedule",
    job=oulad_monthly_job,
    cron_schedule="0 4 1 * *",
    execution_timezone="UTC",
    description=(
        "On the 1st of each month at 04:00 UTC: reload the seven OULAD files (a published snapshot, replaced whole)"
        " and rebuild OULAD's silver and gold (after the shared calendar's 02:00 run). Not partitioned: nothing to backfill."
    ),
    default_status=default_schedule_status(),
)
