from dagster import Definitions

from edu_platform.defs.alerts.sensors import asset_check_alert_sensor, run_failure_alert_sensor

defs = Definitions(sensors=[asset_check_alert_sensor, run_failure_alert_sensor])
