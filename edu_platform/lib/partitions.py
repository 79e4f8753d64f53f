"""One partitions definition per cadence; every source builds its partitions from these."""

import os

from dagster import (
    DynamicPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionsDefinition,
    WeeklyPartitionsDefinition,
)


def weekly_partitions(start_date: str) -> WeeklyPartitionsDefinition:
    """Weeks starting on Monday; a week's partition opens once the week has ended."""
    return WeeklyPartitionsDefinition(start_date=start_date, day_offset=1, timezone="UTC")


def monthly_partitions(start_date: str) -> MonthlyPartitionsDefinition:
    """Calendar months; a month's partition opens once the month has ended."""
    return MonthlyPartitionsDefinition(start_date=start_date, timezone="UTC")


def monthly_by_dimension(start_date: str, dimension: str) -> MultiPartitionsDefinition:
    """Month x a dynamic dimension (e.g. nanodegree) whose values are registered as they land."""
    return MultiPartitionsDefinition(
        {"month": monthly_partitions(start_date), dimension: DynamicPartitionsDefinition(name=dimension)}
    )


def start_date_from_env(variable: str, default: str) -> str:
    return os.environ.get(variable) or default
