"""One partitions definition per cadence; every source builds its partitions from these.

Also the platform's one clock (`utc_now`): generators, landing defaults, schedules and partition checks
ask it, never `datetime.now()`. `EDU_NOW` (an ISO date or UTC datetime) starts it at another moment, for
tests and rehearsals across processes; Dagster's own partition clock is set to follow it, so the
partitions that exist are the ones `utc_now` implies.
"""

from datetime import date, datetime, timedelta, timezone
from time import monotonic
from typing import Iterable
from zoneinfo import ZoneInfo

from croniter import croniter

from dagster import (
    DynamicPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
    partition_loading_context,
)

from edu_platform.lib.config import ConfigError, VARIABLES, is_set, setting

NOW_VARIABLE = "EDU_NOW"
# Dagster's run tags for a run over a partition range (documented, not exported by `dagster` itself)
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
_STARTED = monotonic()


def parse_now(value: str) -> datetime:
    """`2027-12-01`, `2027-12-01T10:00`, `2027-12-01T10:00:00Z` or with an offset -> an aware UTC datetime."""
    try:
        return VARIABLES[NOW_VARIABLE].parse(value.strip())
    except ValueError as exc:
        raise ConfigError(f"{NOW_VARIABLE}={value!r}: expected {exc}") from None


def utc_now() -> datetime:
    """Now, in UTC. With EDU_NOW set, the clock starts at EDU_NOW when the process starts and runs on
    from there (it never stands still, so nothing that waits for time to pass hangs)."""
    start = setting(NOW_VARIABLE)
    if start is None:
        return datetime.now(timezone.utc)
    return start + timedelta(seconds=monotonic() - _STARTED)


def today(now: datetime | None = None) -> date:
    return (now or utc_now()).astimezone(timezone.utc).date()


def _dagster_clock_follows_edu_now() -> None:
    """With EDU_NOW set, Dagster's own clock (which decides the partitions that exist, schedule ticks and
    freshness) reads `utc_now`; without it, nothing is changed. This is the platform's ONLY use of a private
    Dagster API: Dagster has no public way to set its clock, and `dagster._time._mockable_get_current_*` are
    the functions its own test helper (`freeze_time`) replaces. Done at import of this module, which every
    process imports before it builds a partitions definition."""
    if is_set(NOW_VARIABLE):
        import dagster._time

        dagster._time._mockable_get_current_datetime = utc_now
        dagster._time._mockable_get_current_timestamp = lambda: utc_now().timestamp()


_dagster_clock_follows_edu_now()


def _in_zone(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def next_cron_tick(cron: str, now: datetime, tz: str = "UTC") -> datetime:
    """The first tick of `cron` (in time zone `tz`) at or after `now`."""
    now = _in_zone(now, tz)
    return croniter(cron, croniter(cron, now).get_prev(datetime)).get_next(datetime)


def latest_cron_tick(cron: str, now: datetime, tz: str = "UTC") -> datetime:
    """The last tick of `cron` (in time zone `tz`) at or before `now`."""
    now = _in_zone(now, tz)
    upcoming = next_cron_tick(cron, now, tz)
    return upcoming if upcoming == now else croniter(cron, now).get_prev(datetime)


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
# ------------------------------------------------------------------------------ the calendar's edge


def last_complete_window(partitions_def: TimeWindowPartitionsDefinition, now: datetime | None = None):
    """The newest window that has ended by `now` (whether or not it is on or after the first partition),
    as a Dagster TimeWindow: the newest period a source can have complete data for."""
    now = now or utc_now()
    with partition_loading_context(effective_dt=now):
        last = partitions_def.get_last_partition_window()
        if last is not None:
            return last
    # `now` is before the first partition: the window that ended most recently before it
    window = partitions_def.get_first_partition_window()
    while window.start > now:
        window = partitions_def.get_prev_partition_window(window.start, respect_bounds=False)
    return partitions_def.get_prev_partition_window(window.start, respect_bounds=False) if window.end > now else window


def last_complete_week(now: datetime | None = None) -> date:
    """The Monday starting the newest week (Monday-Sunday, UTC) that has ended by `now`."""
    return last_complete_window(weekly_partitions("2000-01-03"), now).start.date()


def last_complete_month(now: datetime | None = None) -> str:
    """The newest calendar month (UTC) that has ended by `now`, as YYYY-MM."""
    return last_complete_window(monthly_partitions("2000-01-01"), now).start.strftime("%Y-%m")


def _cadence(partitions_def: TimeWindowPartitionsDefinition) -> tuple[str, str]:
    """(what a key names, an example key) for messages."""
    first = partitions_def.get_first_partition_window()
    example = first.start.strftime(partitions_def.fmt)
    if partitions_def.cron_schedule.split()[-1] != "*":
        return "weekly keys are the Monday a week starts", example
    if partitions_def.cron_schedule.split()[2] != "*":
        return "monthly keys are the first day of the month", example
    return "keys are the start of their window", example


def _validate_time_key(partitions_def: TimeWindowPartitionsDefinition, value: str, now: datetime, key: str | None = None) -> None:
    """`value` is the time part of the partition `key` (the same for a time-window partitions definition)."""
    key = key or value
    what, example = _cadence(partitions_def)
    try:
        started = datetime.strptime(value, partitions_def.fmt).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"unknown partition {key!r}: {what}, e.g. {example}") from None
    window = partitions_def.time_window_for_partition_key(value)
    if window.start != started:
        if window.start > started:
            window = partitions_def.get_prev_partition_window(window.start, respect_bounds=False)
        raise ValueError(f"unknown partition {key!r}: {what}; {value} lies in the one starting {window.start.strftime(partitions_def.fmt)}")
    if window.start < partitions_def.get_first_partition_window().start:
        raise ValueError(f"unknown partition {key!r}: the first partition is {example}")
    with partition_loading_context(effective_dt=now):
        exists = partitions_def.has_partition_key(value)
    if not exists:
        raise ValueError(
            f"partition {key} does not exist yet: it opens on {window.end.date().isoformat()}, once its period has ended"
        )


def validate_partition_key(partitions_def: PartitionsDefinition, key: str, instance, now: datetime | None = None) -> None:
    """Raise ValueError (one line) unless `key` is a partition of `partitions_def` as of `now`: a key of the
    wrong shape says what keys look like; a period that has not ended says the date its partition opens; a
    dynamic value not registered lists the registered ones."""
    now = now or utc_now()
    key = str(key)
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        _validate_time_key(partitions_def, key, now)
    elif isinstance(partitions_def, MultiPartitionsDefinition):
        dims = partitions_def.partitions_defs
        parts = key.split("|")
        if len(parts) != len(dims):
            example = "|".join(_example_value(d.partitions_def, instance) for d in dims)
            raise ValueError(f"unknown partition {key!r}: keys look like {example} ({'|'.join(d.name for d in dims)})")
        for dim, value in zip(dims, parts):
            if isinstance(dim.partitions_def, TimeWindowPartitionsDefinition):
                _validate_time_key(dim.partitions_def, value, now, key)
            elif isinstance(dim.partitions_def, DynamicPartitionsDefinition):
                _validate_dynamic(dim.partitions_def, value, instance, key)
            else:
                validate_partition_key(dim.partitions_def, value, instance, now)
    elif isinstance(partitions_def, DynamicPartitionsDefinition):
        _validate_dynamic(partitions_def, key, instance, key)
    else:
        with partition_loading_context(effective_dt=now, dynamic_partitions_store=instance):
            known = partitions_def.get_partition_keys()
        if key not in known:
            more = " ..." if len(known) > 10 else ""
            raise ValueError(f"unknown partition {key!r}: partitions are {', '.join(known[:10])}{more}")


def _validate_dynamic(partitions_def: DynamicPartitionsDefinition, value: str, instance, key: str) -> None:
    known = instance.get_dynamic_partitions(partitions_def.name)
    if value not in known:
        shown = ", ".join(sorted(known)[:20]) or "none yet"
        raise ValueError(f"unknown partition {key!r}: {partitions_def.name} {value!r} is not registered (registered: {shown})")


def _example_value(partitions_def, instance) -> str:
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        return _cadence(partitions_def)[1]
    if isinstance(partitions_def, DynamicPartitionsDefinition):
        known = sorted(instance.get_dynamic_partitions(partitions_def.name))
        return known[0] if known else partitions_def.name
    return "KEY"


def partitions_for_key(partitions_defs, key: str, instance, now: datetime | None = None) -> list:
    """The partitions definitions among `partitions_defs` that have `key` as of `now` (for `run --partition`
    over a selection spanning several cadences); none -> the most telling ValueError (a period not ended
    yet before an unknown key)."""
    accepted, errors = [], []
    for partitions_def in partitions_defs:
        try:
            validate_partition_key(partitions_def, key, instance, now)
            accepted.append(partitions_def)
        except ValueError as exc:
            errors.append(str(exc))
    if not accepted and errors:
        raise ValueError(next((e for e in errors if "does not exist yet" in e), errors[0]))
    return accepted


def not_landed_yet(partition_keys: list, now: datetime | None = None) -> dict[str, str]:
    """Every source's `landing.not_landed_yet` over `partition_keys`: the newest periods of landed files
    still to arrive (partition key -> one-line reason naming the folder); each source ignores keys not its own."""
    from edu_platform.sources import SOURCES, source_module

    out: dict[str, str] = {}
    for source in SOURCES:
        landing = source_module(source, "landing")
        if landing is not None and hasattr(landing, "not_landed_yet"):
            out.update(landing.not_landed_yet(partition_keys, now=now))
    return out


# ------------------------------------------------------------------------------ operators (CLI)


def _dimensions(partitions_def):
    if isinstance(partitions_def, MultiPartitionsDefinition):
        return [d.partitions_def for d in partitions_def.partitions_defs]
    return [partitions_def]


def dynamic_dimensions(defs) -> list[str]:
    """Names of the dynamic partition dimensions the asset graph uses (e.g. `nanodegree`)."""
    graph = defs.resolve_asset_graph()
    names = set()
    for key in graph.get_all_asset_keys():
        partitions_def = graph.get(key).partitions_def
        for dim in _dimensions(partitions_def) if partitions_def else []:
            if isinstance(dim, DynamicPartitionsDefinition):
                names.add(dim.name)
    return sorted(names)


def describe_partitions(defs, instance, now: datetime | None = None) -> list[str]:
    """One line per cadence (first and newest partition) and per dynamic dimension (its registered values)."""
    now = now or utc_now()
    graph = defs.resolve_asset_graph()
    windows: dict[str, tuple] = {}
    for key in graph.get_all_asset_keys():
        partitions_def = graph.get(key).partitions_def
        for dim in _dimensions(partitions_def) if partitions_def else []:
            if isinstance(dim, TimeWindowPartitionsDefinition):
                with partition_loading_context(effective_dt=now):
                    keys = dim.get_partition_keys()
                label = f"{dim.cron_schedule} from {dim.start.date().isoformat()}"
                windows[label] = (len(keys), keys[-1] if keys else None, _cadence(dim)[0].split(" keys")[0], dim)
    lines = []
    for label, (count, newest, cadence, dim) in sorted(windows.items()):
        current = dim.get_next_partition_window(last_complete_window(dim, now).end, respect_bounds=False)
        lines.append(
            f"{cadence} partitions from {dim.start.date().isoformat()}: {count}, newest {newest or 'none yet'};"
            f" the next, {current.start.strftime(dim.fmt)}, opens on {current.end.date().isoformat()}"
        )
    for name in dynamic_dimensions(defs):
        values = sorted(instance.get_dynamic_partitions(name))
        lines.append(f"{name}: {len(values)} registered: {', '.join(values) or 'none'}")
    return lines


def remove_dynamic_partition(defs, instance, dimension: str, value: str) -> str:
    """Remove one value of a dynamic dimension (a nanodegree) from the instance; loaded rows are not touched."""
    names = dynamic_dimensions(defs)
    if dimension not in names:
        raise ValueError(f"unknown partition dimension {dimension!r}: dynamic dimensions are {', '.join(names) or 'none'}")
    known = instance.get_dynamic_partitions(dimension)
    if value not in known:
        raise ValueError(f"{dimension} {value!r} is not registered (registered: {', '.join(sorted(known)) or 'none'})")
    instance.delete_dynamic_partition(dimension, value)
    return (
        f"removed {dimension} partition {value}: its runs and materializations stay in Dagster's history, rows it"
        f" loaded stay in the warehouse (see the runbook to delete them)"
    )
