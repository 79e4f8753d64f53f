"""One partitions definition per cadence; every source builds its partitions from these."""

import os
from typing import Iterable

from dagster import (
    DynamicPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


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


def range_runs(partitions_def: PartitionsDefinition, keys: Iterable, dynamic_partitions_store=None) -> list[PartitionKeyRange]:
    """Few partition-key ranges covering exactly `keys`, for assets with a single-run backfill policy (one run
    per range, tagged with its first and last key: see `range_run_tags`).

    A time-window definition: each stretch of consecutive periods. Month x a dynamic dimension: Dagster reads
    a range (first|a ... last|b) as every month from first to last for every value from a to b in the order the
    values were registered, so `keys` are cut into such rectangles (stretches of months that share the same
    stretch of values, or the other way round, whichever needs fewer). A full history is one range; the latest
    month for every value plus a new value's history is two."""
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        return [PartitionKeyRange(a, b) for a, b in _stretches([str(k) for k in keys], partitions_def.get_partition_keys())]
    if not isinstance(partitions_def, MultiPartitionsDefinition):
        return [PartitionKeyRange(str(k), str(k)) for k in keys]
    time_dim = partitions_def.time_window_dimension
    other = next(d for d in partitions_def.partitions_defs if d.name != time_dim.name)
    periods = time_dim.partitions_def.get_partition_keys()
    values = other.partitions_def.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
    pairs = set()
    for key in keys:
        dims = dict(zip(partitions_def.partition_dimension_names, str(key).split("|")))
        pairs.add((dims[time_dim.name], dims[other.name]))
    unknown = sorted({v for _, v in pairs} - set(values))
    if unknown:
        raise ValueError(f"partition keys name {other.name} values that are not registered: {unknown}")
    by_month = _rectangles(periods, values, pairs)
    by_value = [(m, v) for v, m in _rectangles(values, periods, {(v, m) for m, v in pairs})]
    ranges = []
    for (first, last), (low, high) in min(by_month, by_value, key=len):
        ranges.append(PartitionKeyRange(
            str(MultiPartitionKey({time_dim.name: first, other.name: low})),
            str(MultiPartitionKey({time_dim.name: last, other.name: high})),
        ))
    return ranges


def _rectangles(rows: list[str], columns: list[str], cells: set) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Cover `cells` ((row, column) pairs) with ((first row, last row), (first column, last column)) rectangles:
    each row's stretches of consecutive columns, merged over consecutive rows with the same stretch."""
    open_: dict[tuple[str, str], list[str]] = {}  # column stretch -> [first row, last row] still growing
    done = []
    for row in rows:
        stretches = set(_stretches([c for c in columns if (row, c) in cells], columns))
        for stretch in [s for s in open_ if s not in stretches]:
            done.append((tuple(open_.pop(stretch)), stretch))
        for stretch in stretches:
            open_.setdefault(stretch, [row, row])[1] = row
    done += [(tuple(r), s) for s, r in open_.items()]
    return sorted(done)


def range_run_tags(partitions_def: PartitionsDefinition, keys: Iterable, dynamic_partitions_store=None) -> list[dict[str, str]]:
    """The run tags of each range of `range_runs` (`dagster/asset_partition_range_start/end`), as the backfill
    daemon sets them: `materialize(..., tags=...)` or a RunRequest with them runs the range in one run."""
    return [
        {ASSET_PARTITION_RANGE_START_TAG: r.start, ASSET_PARTITION_RANGE_END_TAG: r.end}
        for r in range_runs(partitions_def, keys, dynamic_partitions_store)
    ]


def _stretches(todo: list[str], all_keys: list[str]) -> list[tuple[str, str]]:
    """(first, last) of each stretch of consecutive keys of `todo` in the order of `all_keys`."""
    position = {key: i for i, key in enumerate(all_keys)}
    missing = [k for k in todo if k not in position]
    if missing:
        raise ValueError(f"partition keys outside the partitions definition: {missing[:5]}")
    out: list[list[str]] = []
    for key in sorted(set(todo), key=position.__getitem__):
        if out and position[key] == position[out[-1][1]] + 1:
            out[-1][1] = key
        else:
            out.append([key, key])
    return [(a, b) for a, b in out]
