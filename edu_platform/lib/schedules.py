"""Schedule and sensor defaults shared by every source."""

import os

from dagster import DefaultScheduleStatus, DefaultSensorStatus

PIPELINE_TAG = "edu_platform/pipeline"


def default_schedule_status() -> DefaultScheduleStatus:
    """Schedules run by default in a deployment (EDU_SCHEDULES_RUNNING=1); locally they start stopped."""
    return DefaultScheduleStatus.RUNNING if os.environ.get("EDU_SCHEDULES_RUNNING") == "1" else DefaultScheduleStatus.STOPPED


def default_sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if os.environ.get("EDU_SENSORS_RUNNING") == "1" else DefaultSensorStatus.STOPPED
