"""Schedule and sensor defaults shared by every source."""

from dagster import DefaultScheduleStatus, DefaultSensorStatus

from edu_platform.lib.config import setting

PIPELINE_TAG = "edu_platform/pipeline"


def default_schedule_status() -> DefaultScheduleStatus:
    """Schedules run by default in a deployment (EDU_SCHEDULES_RUNNING=1); locally they start stopped."""
    return DefaultScheduleStatus.RUNNING if setting("EDU_SCHEDULES_RUNNING") else DefaultScheduleStatus.STOPPED


def default_sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if setting("EDU_SENSORS_RUNNING") else DefaultSensorStatus.STOPPED
