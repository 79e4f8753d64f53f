from dagster import Definitions

from edu_platform.defs.quality.freshness import build_freshness_checks, build_freshness_sensor

freshness_checks = build_freshness_checks()

defs = Definitions(
    asset_checks=freshness_checks,
    sensors=[build_freshness_sensor(freshness_checks)] if freshness_checks else [],
)
